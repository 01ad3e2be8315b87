import SimplePeer from "simple-peer";
import type { SimplePeerConstructor, WebRTCImplementation } from "./peer-connection.js";
import { WebRTCMultiplayerPeerBase, type WebRTCPeerOptions } from "./webrtc-peer.js";

export interface NodeWebRTCPeerOptions extends WebRTCPeerOptions {
  /** The local address ICE gathers on, e.g. "127.0.0.1" (tests), or a server's public interface. */
  bindAddress?: string;
}

let nodeDataChannel: Promise<WebRTCImplementation> | null = null;
/** RTCPeerConnections created and not yet closed, across the process (for leak checks). */
let openNativeConnections = 0;

/**
 * WebRTC in Node from node-datachannel (an optional peer dependency: browser games never install
 * it), loaded on first use. Its RTCPeerConnection returns description objects whose `sdp` is a
 * getter, which simple-peer cannot rewrite; they are handed over as plain objects.
 */
function loadNodeDataChannel(): Promise<WebRTCImplementation> {
  nodeDataChannel ??= import("node-datachannel/polyfill").then(
    (polyfill) => {
      class PlainDescriptionPeerConnection extends polyfill.RTCPeerConnection {
        #open = true;
        constructor(config?: RTCConfiguration) {
          super(config);
          openNativeConnections++;
        }
        override close() {
          if (this.#open) openNativeConnections--;
          this.#open = false;
          super.close();
        }
        override async createOffer() {
          const { type, sdp } = await super.createOffer();
          return { type, sdp };
        }
        override async createAnswer() {
          const { type, sdp } = await super.createAnswer();
          return { type, sdp };
        }
      }
      return {
        RTCPeerConnection: PlainDescriptionPeerConnection,
        RTCSessionDescription: polyfill.RTCSessionDescription,
        RTCIceCandidate: polyfill.RTCIceCandidate,
      };
    },
    (error: unknown) => {
      nodeDataChannel = null;
      throw new Error(
        `WebRTC in Node needs the node-datachannel package (npm install node-datachannel): ${error}`,
      );
    },
  );
  return nodeDataChannel;
}

/** The WebRTC star in Node (a dedicated host, a bot, a load generator), on node-datachannel. */
export class WebRTCMultiplayerPeer extends WebRTCMultiplayerPeerBase {
  protected readonly simplePeer = SimplePeer as SimplePeerConstructor;
  readonly #bindAddress: string | undefined;

  constructor(options: NodeWebRTCPeerOptions) {
    super(options);
    this.#bindAddress = options.bindAddress;
  }

  override debugStats() {
    return { ...super.debugStats(), openNativeConnectionsInProcess: openNativeConnections };
  }

  protected override loadWebRTC(): Promise<WebRTCImplementation | undefined> {
    return super.loadWebRTC().then((given) => given ?? loadNodeDataChannel());
  }

  protected override rtcConfiguration(): RTCConfiguration {
    // bindAddress is node-datachannel's own setting, passed through its RTCConfiguration.
    return { ...super.rtcConfiguration(), ...(this.#bindAddress && { bindAddress: this.#bindAddress }) };
  }
}
