export * from "./common.js";
export { type NodeWebRTCPeerOptions, WebRTCMultiplayerPeer } from "./transport/webrtc/node.js";
