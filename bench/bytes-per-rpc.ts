// Bytes on the wire per RPC after the path cache is confirmed, measured by encoding real calls
// through MultiplayerAPIs on a memory network, beside what Godot 4 sends for the same call
// (computed by lib/godot-wire.ts from Godot's encoding rules, cited there). The relay overhead is
// measured too: the bytes of a client-to-client call (both legs) minus the same call to the host.

import { Color8, MemoryMultiplayerPeer, MemoryNetwork, MultiplayerAPI, NetNode, Vector2 } from "starwire";
import { GODOT_RELAY_HEADER, godotRpcPacketSize } from "./lib/godot-wire.js";
import { writeResult } from "./lib/results.js";

class Probe extends NetNode {
  constructor() {
    super("probe");
    for (const name of ["none", "bool", "smallInt", "float", "vector2", "playerInfo"])
      this.rpcConfig(name, ["any_peer"]);
  }
  none(): void {}
  bool(_value: boolean): void {}
  smallInt(_value: number): void {}
  float(_value: number): void {}
  vector2(_value: Vector2): void {}
  playerInfo(_info: object): void {}
}

type Method = "none" | "bool" | "smallInt" | "float" | "vector2" | "playerInfo";
const ROWS: Array<{ arguments: string; method: Method; args: unknown[] }> = [
  { arguments: "none", method: "none", args: [] },
  { arguments: "one bool", method: "bool", args: [true] },
  { arguments: "one small int", method: "smallInt", args: [42] },
  { arguments: "one float (float32-exact)", method: "float", args: [3.25] },
  { arguments: "one float (needs float64)", method: "float", args: [0.1] },
  { arguments: "one Vector2", method: "vector2", args: [new Vector2(3.5, -7.25)] },
  {
    arguments: "player info (5 fields)",
    method: "playerInfo",
    args: [
      { name: "Ada", color: Color8(255, 0, 255), ready: true, score: 12, position: new Vector2(3.5, 7.25) },
    ],
  },
];

/** The rows name their method at run time, which the typed `rpcId` does not take. */
const call = (probe: Probe, to: number, row: (typeof ROWS)[number]) =>
  (probe.rpcId as unknown as (to: number, method: string, ...args: unknown[]) => void).call(
    probe,
    to,
    row.method,
    ...row.args,
  );

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A MultiplayerAPI on the network whose last packet sent to each peer is recorded. */
function tap(peer: MemoryMultiplayerPeer): Map<number, number> {
  const last = new Map<number, number>();
  const send = peer.send.bind(peer);
  peer.send = (to, bytes, transfer, channel) => {
    last.set(to, bytes.length);
    send(to, bytes, transfer, channel);
  };
  return last;
}

async function measure() {
  const network = new MemoryNetwork();
  const host = new MultiplayerAPI();
  const hostPeer = new MemoryMultiplayerPeer(network);
  const { roomCode } = await hostPeer.createServer({ maxPlayers: 2 });
  host.peer = hostPeer;
  const clients = [];
  for (let i = 0; i < 2; i++) {
    const api = new MultiplayerAPI();
    const peer = new MemoryMultiplayerPeer(network);
    await peer.createClient(roomCode);
    api.peer = peer;
    clients.push({ api, peer });
  }
  while (clients.some((c) => c.api.getPeers().length < 2)) await settle();
  const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]];
  const probes = [host, a.api, b.api].map((api) => api.root.addChild(new Probe()));
  const [hostProbe, aProbe] = probes as [Probe, Probe, Probe];
  const hostSent = tap(hostPeer);
  const aSent = tap(a.peer);
  const bId = b.peer.uniqueId;

  // First calls carry the path; the receivers confirm it (B's confirmation is relayed).
  hostProbe.rpc("none");
  aProbe.rpcId(1, "none");
  aProbe.rpcId(bId, "none");
  await settle();

  const results = [];
  for (const row of ROWS) {
    call(hostProbe, a.peer.uniqueId, row);
    const direct = hostSent.get(a.peer.uniqueId)!;
    call(aProbe, 1, row);
    const toHost = aSent.get(1)!;
    call(aProbe, bId, row);
    const relayedToHost = aSent.get(1)!;
    await settle();
    const relayedToClient = hostSent.get(bId)!;
    results.push({
      arguments: row.arguments,
      starwire: direct,
      godot: godotRpcPacketSize(row.args),
      relay: {
        clientToHost: relayedToHost - toHost,
        hostToClient: relayedToClient - toHost,
      },
    });
  }
  host.peer = null;
  for (const c of clients) c.api.peer = null;
  return results;
}

const results = await measure();
const overheads = new Set(results.flatMap((r) => [r.relay.clientToHost, r.relay.hostToClient]));
writeResult("bytes-per-rpc", {
  unit: "bytes per packet, path cache confirmed, cache and method ids < 128",
  godotSource:
    "computed by bench/lib/godot-wire.ts from Godot 4.3-stable's rules (SceneRPCInterface::_send_rpc, MultiplayerAPI::encode_and_compress_variant, encode_variant)",
  relayOverhead: {
    starwire: overheads.size === 1 ? [...overheads][0] : [...overheads],
    starwireMeasuredAs: "client → client call minus the same call client → host, on each leg, every row",
    godot: GODOT_RELAY_HEADER,
  },
  results,
});
console.log("\nBytes per RPC on the wire (path cache confirmed, ids < 128)\n");
console.log("| arguments | Starwire | Godot 4 (computed) | relay adds (→ host, → client) |");
console.log("|---|---|---|---|");
for (const r of results)
  console.log(
    `| ${r.arguments} | ${r.starwire} | ${r.godot} | ${r.relay.clientToHost}, ${r.relay.hostToClient} |`,
  );
