export * from "./common.js";
export { WebRTCMultiplayerPeer } from "./transport/webrtc/node.js";
