import {
  MemoryMultiplayerPeer,
  MemoryNetwork,
  MultiplayerAPI,
  type MultiplayerEvents,
} from "../src/common.js";

/** Records every MultiplayerAPI event as a readable line, e.g. "peerConnected 1". */
export function recordEvents(api: MultiplayerAPI): string[] {
  const log: string[] = [];
  const names: Array<keyof MultiplayerEvents> = [
    "connectedToServer",
    "connectionFailed",
    "peerConnected",
    "peerDisconnected",
    "peerReconnecting",
    "peerReconnected",
    "serverDisconnected",
  ];
  for (const name of names) {
    api.on(name, (...args: unknown[]) => log.push([name, ...args.slice(0, 1)].join(" ")));
  }
  return log;
}

/** Waits until `condition` holds, polling timers and microtasks; fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Settings made on each API before it gets its transport (`tickRate` can only change then). */
export type Setup = (api: MultiplayerAPI) => void;

export async function hostGame(network: MemoryNetwork, maxPlayers = 8, setup?: Setup) {
  const api = new MultiplayerAPI();
  setup?.(api);
  const log = recordEvents(api);
  const peer = new MemoryMultiplayerPeer(network);
  const { roomCode } = await peer.createServer({ maxPlayers });
  api.peer = peer;
  return { api, log, peer, roomCode };
}

export async function joinGame(network: MemoryNetwork, roomCode: string, setup?: Setup) {
  const api = new MultiplayerAPI();
  setup?.(api);
  const log = recordEvents(api);
  const peer = new MemoryMultiplayerPeer(network);
  await peer.createClient(roomCode);
  api.peer = peer;
  await until(() => api.connectionStatus === "connected");
  return { api, log, peer, id: peer.uniqueId };
}

/** A host and `clients` clients on one memory network, each knowing all the others. */
export async function gameOf(clients: number, setup?: Setup) {
  const network = new MemoryNetwork();
  const host = await hostGame(network, 8, setup);
  const joined: Awaited<ReturnType<typeof joinGame>>[] = [];
  for (let i = 0; i < clients; i++) joined.push(await joinGame(network, host.roomCode, setup));
  await until(() => joined.every((c) => c.api.getPeers().length === clients));
  return { network, host, joined, peers: [host, ...joined] };
}

export { MemoryNetwork };
