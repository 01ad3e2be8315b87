// Bytes on the wire per RPC after the path cache is confirmed, beside Godot 4's numbers
// (Godot 4's wire-cost table, see packages/starwire/WIRE.md). Measured by encoding real calls through a MultiplayerAPI pair.

import { Color8, MemoryMultiplayerPeer, MemoryNetwork, MultiplayerAPI, NetNode, Vector2 } from "starwire";
import { writeResult } from "./lib/results.js";

class Probe extends NetNode {
  constructor() {
    super("probe");
    for (const name of ["none", "bool", "smallInt", "float", "vector2", "playerInfo"])
      this.rpcConfig(name, []);
  }
  none(): void {}
  bool(_value: boolean): void {}
  smallInt(_value: number): void {}
  float(_value: number): void {}
  vector2(_value: Vector2): void {}
  playerInfo(_info: object): void {}
}

const rows: Array<{ arguments: string; call: (probe: Probe) => void; godot: number | null }> = [
  { arguments: "none", call: (p) => p.rpc("none"), godot: 3 },
  { arguments: "one bool", call: (p) => p.rpc("bool", true), godot: 5 },
  { arguments: "one small int", call: (p) => p.rpc("smallInt", 42), godot: 6 },
  { arguments: "one float (float32-exact)", call: (p) => p.rpc("float", 3.25), godot: 12 },
  { arguments: "one float (needs float64)", call: (p) => p.rpc("float", 0.1), godot: null },
  { arguments: "one Vector2", call: (p) => p.rpc("vector2", new Vector2(3.5, -7.25)), godot: 16 },
  {
    arguments: "player info (5 fields)",
    call: (p) =>
      p.rpc("playerInfo", {
        name: "Ada",
        color: Color8(255, 0, 255),
        ready: true,
        score: 12,
        position: new Vector2(3.5, 7.25),
      }),
    godot: null,
  },
];

async function measure() {
  const network = new MemoryNetwork();
  const host = new MultiplayerAPI();
  const hostPeer = new MemoryMultiplayerPeer(network);
  const { roomCode } = await hostPeer.createServer({ maxPlayers: 1 });
  host.peer = hostPeer;
  const client = new MultiplayerAPI();
  const clientPeer = new MemoryMultiplayerPeer(network);
  await clientPeer.createClient(roomCode);
  client.peer = clientPeer;
  await host.next("peerConnected");
  const probe = host.root.addChild(new Probe());
  client.root.addChild(new Probe());

  let last = 0;
  const send = hostPeer.send.bind(hostPeer);
  hostPeer.send = (to, bytes, transfer, channel) => {
    last = bytes.length;
    send(to, bytes, transfer, channel);
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
  probe.rpc("none"); // the first call carries the path; the client confirms it
  await settle();
  const results = [];
  for (const row of rows) {
    row.call(probe);
    results.push({ arguments: row.arguments, starwire: last, godot: row.godot });
  }
  host.peer = null;
  client.peer = null;
  return results;
}

const results = await measure();
const relayOverhead = 6;
writeResult("bytes-per-rpc", {
  unit: "bytes per packet",
  godotSource: "Godot 4 wire-cost table (packages/starwire/WIRE.md)",
  relayOverhead,
  results,
});
console.log("\nBytes per RPC on the wire (path cache confirmed, ids < 128)\n");
console.log("| arguments | Starwire | Godot 4 |");
console.log("|---|---|---|");
for (const r of results) console.log(`| ${r.arguments} | ${r.starwire} | ${r.godot ?? "—"} |`);
console.log(`\nA client-to-client call relayed by the host adds ${relayOverhead} bytes (as in Godot).`);
