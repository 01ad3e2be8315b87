// simple-peer's main entry needs Node polyfills (global, events, buffer) in a bundler; its
// prebuilt bundle needs none, so a game's Vite config stays empty.
import SimplePeer from "simple-peer/simplepeer.min.js";
import type { SimplePeerConstructor } from "./peer-connection.js";
import { WebRTCMultiplayerPeerBase } from "./webrtc-peer.js";

export class WebRTCMultiplayerPeer extends WebRTCMultiplayerPeerBase {
  protected readonly simplePeer = SimplePeer as SimplePeerConstructor;
}
