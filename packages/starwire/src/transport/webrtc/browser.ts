// simple-peer's main entry needs Node polyfills (global, events, buffer) in a bundler; its
// prebuilt bundle needs none, so a game's Vite config stays empty.
import SimplePeer from "simple-peer/simplepeer.min.js";
import type { SimplePeerConstructor } from "./peer-connection.js";
import {
  closeAllPeers,
  networkChanged,
  WebRTCMultiplayerPeerBase,
  type WebRTCPeerOptions,
} from "./webrtc-peer.js";

/** Whether the page's events that concern every peer are being listened to. */
let listening = false;

export class WebRTCMultiplayerPeer extends WebRTCMultiplayerPeerBase {
  protected readonly simplePeer = SimplePeer as SimplePeerConstructor;

  constructor(options: WebRTCPeerOptions) {
    super(options);
    // A page that goes away leaves its game on purpose (goodbye over the data channels, a
    // deliberate signaling disconnect): the others see it leave at once rather than reconnect.
    if (!listening) {
      globalThis.addEventListener?.("pagehide", closeAllPeers);
      // A phone that changes networks: check every connection at once instead of waiting for silence.
      globalThis.addEventListener?.("online", networkChanged);
      (globalThis.navigator as { connection?: EventTarget } | undefined)?.connection?.addEventListener?.(
        "change",
        networkChanged,
      );
    }
    listening = true;
  }
}
