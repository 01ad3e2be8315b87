import SimplePeer from "simple-peer";
import type { SimplePeerConstructor } from "./peer-connection.js";
import { WebRTCMultiplayerPeerBase } from "./webrtc-peer.js";

/** In Node pass a WebRTC implementation as `wrtc` (node-datachannel's polyfill, for example). */
export class WebRTCMultiplayerPeer extends WebRTCMultiplayerPeerBase {
  protected readonly simplePeer = SimplePeer as SimplePeerConstructor;
}
