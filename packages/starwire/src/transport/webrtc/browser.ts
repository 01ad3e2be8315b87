// simple-peer's main entry needs Node polyfills (global, events, buffer) in a bundler; its
// prebuilt bundle needs none, so a game's Vite config stays empty.
import SimplePeer from "simple-peer/simplepeer.min.js";
import type { SimplePeerConstructor } from "./peer-connection.js";
import { closeAllPeers, WebRTCMultiplayerPeerBase, type WebRTCPeerOptions } from "./webrtc-peer.js";

let leavesWithPage = false;

export class WebRTCMultiplayerPeer extends WebRTCMultiplayerPeerBase {
  protected readonly simplePeer = SimplePeer as SimplePeerConstructor;

  constructor(options: WebRTCPeerOptions) {
    super(options);
    // A page that goes away leaves its game on purpose (goodbye over the data channels, a
    // deliberate signaling disconnect): the others see it leave at once rather than reconnect.
    if (!leavesWithPage) globalThis.addEventListener?.("pagehide", closeAllPeers);
    leavesWithPage = true;
  }
}
