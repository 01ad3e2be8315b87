// Shared by the Node tests that need more than a MultiplayerAPI gives: a client whose data channels
// can be written to directly (bytes no Starwire peer would send), the host's full event log, and
// waits that poll something asynchronous.
import * as polyfill from "node-datachannel/polyfill";
import type { MultiplayerAPI } from "starwire/node";
import { loopbackPeer, until } from "./helpers.js";

/**
 * A client peer (no MultiplayerAPI attached) whose data channels are recorded as its WebRTC
 * implementation creates them: `reliable()` is the reliable channel of its newest connection.
 */
export function rawClient(signalingUrl: string) {
  const channels: RTCDataChannel[] = [];
  class Recording extends polyfill.RTCPeerConnection {
    override createDataChannel(label: string, init?: RTCDataChannelInit) {
      const channel = super.createDataChannel(label, init);
      channels.push(channel);
      return channel;
    }
    // Plain description objects, as the SDK's own Node implementation hands simple-peer.
    override async createOffer() {
      const { type, sdp } = await super.createOffer();
      return { type, sdp } as RTCSessionDescriptionInit;
    }
  }
  const peer = loopbackPeer(signalingUrl, {
    wrtc: {
      RTCPeerConnection: Recording as unknown as typeof globalThis.RTCPeerConnection,
      RTCSessionDescription:
        polyfill.RTCSessionDescription as unknown as typeof globalThis.RTCSessionDescription,
      RTCIceCandidate: polyfill.RTCIceCandidate as unknown as typeof globalThis.RTCIceCandidate,
    },
  });
  const reliable = () => channels.filter((channel) => channel.label === "reliable").at(-1)!;
  return { peer, channels, reliable };
}

/** Every peer event of `api`, reconnects included, as "event id" lines. */
export function peerLog(api: MultiplayerAPI): string[] {
  const log: string[] = [];
  api.on("peerConnected", (id) => log.push(`peerConnected ${id}`));
  api.on("peerReconnecting", (id) => log.push(`peerReconnecting ${id}`));
  api.on("peerReconnected", (id) => log.push(`peerReconnected ${id}`));
  api.on("peerDisconnected", (id) => log.push(`peerDisconnected ${id}`));
  api.on("connectionFailed", (reason) => log.push(`connectionFailed ${reason}`));
  api.on("serverDisconnected", () => log.push("serverDisconnected"));
  return log;
}

/** Like `until`, for a condition that must be awaited (an HTTP request, say). */
export async function untilAsync(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What a signaling server's /health says: its live rooms and connected sockets. */
export async function health(url: string): Promise<{ rooms: number; sockets: number }> {
  const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
  return (await response.json()) as { rooms: number; sockets: number };
}

/**
 * Waits until the host no longer counts `id` among its peers, and returns the host's log lines
 * about `id`: a peer dropped for good goes without `peerReconnecting` (the 60 s grace would keep
 * it in far longer than the wait).
 */
export async function dropped(api: MultiplayerAPI, log: string[], id: number, what: string) {
  await until(() => !api.getPeers().includes(id), 10_000, what);
  return log.filter((line) => line.endsWith(` ${id}`));
}

export const MiB = 1024 * 1024;

/** Unsigned LEB128 (WIRE.md, "Command byte"). */
export function varint(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}
