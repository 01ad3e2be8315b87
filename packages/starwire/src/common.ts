/** Everything that is the same in the browser and Node entry points. */
export { Emitter } from "./events/emitter.js";
export { sanitizeChat } from "./lobby/chat.js";
export {
  Lobby,
  type LobbyEvents,
  type LobbyOptions,
  type LobbyPlayer,
  type RoomPeer,
} from "./lobby/lobby.js";
export { Color, Color8 } from "./math/color.js";
export { Vector2 } from "./math/vector2.js";
export { Vector3 } from "./math/vector3.js";
export type { NetworkClock } from "./multiplayer/clock.js";
export { multiplayer } from "./multiplayer/default-instance.js";
export { MultiplayerAPI, type MultiplayerEvents, type SendOptions } from "./multiplayer/multiplayer-api.js";
export type { Rejection } from "./multiplayer/rejection.js";
export {
  type InterpolationStats,
  Interpolator,
  type InterpolatorOptions,
} from "./replication/interpolation.js";
export {
  type InterpolationMode,
  type Lerp,
  lerpAngle,
  lerpAngleVector2,
  lerpAngleVector3,
  lerpColor,
  lerpEach,
  lerpNumber,
  lerpStep,
  lerpVector2,
  lerpVector3,
} from "./replication/lerp.js";
export type {
  PropertyConfig,
  ReplicationConfig,
} from "./replication/replication-config.js";
export { MultiplayerSpawner, type Spawnable, type SpawnerEvents } from "./replication/spawner.js";
export {
  MultiplayerSynchronizer,
  type SynchronizerEvents,
  type VisibilityFilter,
} from "./replication/synchronizer.js";
export { type FieldDecorator, type MethodDecorator, networked, rpc } from "./rpc/decorators.js";
export type {
  Godot3RpcMode,
  MemberOptions,
  RpcMode,
  RpcOptions,
  RpcSetting,
  RpcSync,
} from "./rpc/rpc-config.js";
export type { StandardSchemaV1 } from "./rpc/standard-schema.js";
export {
  type MemberName,
  NetNode,
  type NodeEvents,
  type RpcArgs,
  type RpcMethodName,
} from "./scene/net-node.js";
export { normalizeRoomCode } from "./signaling/protocol.js";
export { MemoryMultiplayerPeer, MemoryNetwork } from "./transport/memory-peer.js";
export {
  type CandidateType,
  ConnectionError,
  type ConnectionFailedReason,
  type ConnectionPath,
  type ConnectionStats,
  type ConnectionStatus,
  type DirectionStats,
  type MultiplayerPeer,
  type PeerEventHandler,
  type TransferMode,
} from "./transport/multiplayer-peer.js";
export { OfflineMultiplayerPeer } from "./transport/offline-peer.js";
export type { ClientOptions, CreatedRoom, ServerOptions } from "./transport/star-peer.js";
export type { NetworkConditions } from "./transport/webrtc/conditioner.js";
export type { WebRTCPeerOptions } from "./transport/webrtc/webrtc-peer.js";
export { registerType, type TypeCodec } from "./wire/codec.js";
