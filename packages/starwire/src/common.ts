/** Everything that is the same in the browser and Node entry points. */
export { Emitter } from "./events/emitter.js";
export { multiplayer } from "./multiplayer/default-instance.js";
export {
  MultiplayerAPI,
  type MultiplayerEvents,
  type Rejection,
  type SendOptions,
} from "./multiplayer/multiplayer-api.js";
export { normalizeRoomCode } from "./signaling/protocol.js";
export { MemoryMultiplayerPeer, MemoryNetwork } from "./transport/memory-peer.js";
export {
  ConnectionError,
  type ConnectionFailedReason,
  type ConnectionStatus,
  type MultiplayerPeer,
  type PeerEventHandler,
  type TransferMode,
} from "./transport/multiplayer-peer.js";
export { OfflineMultiplayerPeer } from "./transport/offline-peer.js";
export type { CreatedRoom, ServerOptions } from "./transport/star-peer.js";
export type { WebRTCPeerOptions } from "./transport/webrtc/webrtc-peer.js";
