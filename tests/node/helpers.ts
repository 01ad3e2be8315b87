import { MultiplayerAPI, NetNode, WebRTCMultiplayerPeer } from "starwire/node";
import { defaultConfig, type SignalingConfig } from "../../signaling-server/src/config.js";
import { createSignalingServer } from "../../signaling-server/src/server.js";

/** A real signaling server on 127.0.0.1, generous limits so many Node peers can signal at once. */
export async function startSignaling(overrides: Partial<SignalingConfig> = {}) {
  const server = createSignalingServer({
    ...defaultConfig,
    port: 0,
    host: "127.0.0.1",
    logLevel: "silent",
    eventsPerSecond: 2000,
    eventBurst: 4000,
    // Every test peer comes from 127.0.0.1: per-address limits would count them as one attacker.
    maxSocketsPerAddress: 0,
    roomCreatesPerMinute: 0,
    joinAttemptsPerMinute: 0,
    failedJoinsPerMinute: 0,
    maxRoomsPerAddress: 0,
    ...overrides,
  });
  const { url } = await server.listen();
  return { url, close: () => server.close() };
}

/** A Node WebRTC peer whose ICE only ever offers 127.0.0.1 (bindAddress; README, "Testing"). */
export function loopbackPeer(
  signalingUrl: string,
  options: Partial<ConstructorParameters<typeof WebRTCMultiplayerPeer>[0]> = {},
): WebRTCMultiplayerPeer {
  return new WebRTCMultiplayerPeer({
    signalingUrl,
    bindAddress: "127.0.0.1",
    iceServers: [],
    connectTimeoutMs: 10_000,
    ...options,
  });
}

export type Call = [method: string, sender: number, value: unknown];

/** The node every test peer has at /root/game. */
export class Game extends NetNode<Game> {
  readonly calls: Call[] = [];

  constructor(readonly api: MultiplayerAPI) {
    super("game");
    this.rpcConfig("hello", ["any_peer"]);
    this.rpcConfig("shout", ["any_peer"]);
    this.rpcConfig("tick", ["authority", "unreliable"]);
  }

  hello(value: number): void {
    this.calls.push(["hello", this.api.remoteSenderId, value]);
  }
  shout(text: string): void {
    this.calls.push(["shout", this.api.remoteSenderId, text]);
  }
  tick(seq: number): void {
    this.calls.push(["tick", this.api.remoteSenderId, seq]);
  }
}

export function recordEvents(api: MultiplayerAPI): string[] {
  const log: string[] = [];
  api.on("connectedToServer", () => log.push("connectedToServer"));
  api.on("connectionFailed", (reason) => log.push(`connectionFailed ${reason}`));
  api.on("peerConnected", (id) => log.push(`peerConnected ${id}`));
  api.on("peerDisconnected", (id) => log.push(`peerDisconnected ${id}`));
  api.on("serverDisconnected", () => log.push("serverDisconnected"));
  return log;
}

export async function until(condition: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function hostOn(url: string) {
  const api = new MultiplayerAPI();
  const log = recordEvents(api);
  const peer = loopbackPeer(url);
  const { roomCode } = await peer.createServer({ maxPlayers: 64 });
  api.peer = peer;
  const game = api.root.addChild(new Game(api));
  return { api, log, peer, game, roomCode };
}

export async function joinOn(url: string, roomCode: string) {
  const api = new MultiplayerAPI();
  const log = recordEvents(api);
  const peer = loopbackPeer(url);
  api.peer = peer;
  const game = api.root.addChild(new Game(api));
  await peer.createClient(roomCode);
  // Connected, or the join's failure with its reason: never a wait that only times out.
  await api.whenConnected();
  return { api, log, peer, game, id: peer.uniqueId };
}

/**
 * A Node host and one Node client over real WebRTC on their own signaling server, each with the
 * world `build` made before connecting (as a game builds its scene), the client's rejections
 * recorded as "reason: message". Closed by the cleanups it adds.
 */
export async function replicatedPair<World>(
  build: (api: MultiplayerAPI) => World,
  cleanups: Array<() => unknown>,
) {
  const signaling = await startSignaling();
  cleanups.push(signaling.close);
  const host = new MultiplayerAPI();
  const hostWorld = build(host);
  const hostPeer = loopbackPeer(signaling.url);
  const { roomCode } = await hostPeer.createServer({ maxPlayers: 4 });
  host.peer = hostPeer;
  const client = new MultiplayerAPI();
  const clientWorld = build(client);
  const rejected: string[] = [];
  client.on("rejected", (r) => rejected.push(`${r.reason}: ${r.message}`));
  const clientPeer = loopbackPeer(signaling.url);
  client.peer = clientPeer;
  cleanups.push(() => {
    client.peer = null;
    host.peer = null;
  });
  await clientPeer.createClient(roomCode);
  await client.whenConnected();
  return { host, hostWorld, client, clientWorld, rejected };
}
