// Godot 3's RPC keywords (remote, remotesync, master, mastersync, puppet, puppetsync) with Godot 3's
// meaning, and Godot 3's lobby example ported with them, on the memory network.

// The decorated classes are compiled against the built package, so their games use it too; the
// keyword matrix uses the sources, like rpc.test.ts.
import {
  Color8,
  MemoryMultiplayerPeer,
  MemoryNetwork,
  MultiplayerAPI,
  type Rejection,
  Vector2,
} from "starwire";
import { describe, expect, it } from "vitest";
import type {
  Godot3RpcMode,
  MultiplayerAPI as SourceMultiplayerAPI,
  Rejection as SourceRejection,
} from "../src/common.js";
import { NetNode } from "../src/common.js";
import { toRpcConfig } from "../src/rpc/rpc-config.js";
import { Command, Extended, extendedHead } from "../src/wire/commands.js";
import * as legacy from "./decorators/dist/legacy/godot3-lobby.js";
import * as standard from "./decorators/dist/standard/godot3-lobby.js";
import { gameOf, until } from "./helpers.js";

const KEYWORDS: Godot3RpcMode[] = ["remote", "remotesync", "master", "mastersync", "puppet", "puppetsync"];

describe("Godot 3 keywords as settings", () => {
  it("map onto Godot 4's mode and sync, plus where master and puppet calls run", () => {
    const pick = (mode: Godot3RpcMode) => {
      const { mode: who, sync, runsOn } = toRpcConfig([mode]);
      return [who, sync, runsOn];
    };
    expect(Object.fromEntries(KEYWORDS.map((k) => [k, pick(k)]))).toEqual({
      remote: ["any_peer", "call_remote", "anywhere"],
      remotesync: ["any_peer", "call_local", "anywhere"],
      master: ["any_peer", "call_remote", "authority"],
      mastersync: ["any_peer", "call_local", "authority"],
      puppet: ["authority", "call_remote", "not_authority"],
      puppetsync: ["authority", "call_local", "not_authority"],
    });
    expect(toRpcConfig(["remote", "unreliable", 2])).toMatchObject({ transfer: "unreliable", channel: 2 });
    expect(toRpcConfig([{ mode: "puppet", transfer: "unreliable_ordered" }])).toMatchObject({
      mode: "authority",
      runsOn: "not_authority",
      transfer: "unreliable_ordered",
    });
  });

  it("cannot be combined with Godot 4's mode or sync", () => {
    expect(() => toRpcConfig(["remote", "call_local"])).toThrow(/Godot 3's keyword .* "call_local"/);
    expect(() => toRpcConfig(["any_peer", "puppet"])).toThrow(/"puppet" is Godot 3's keyword/);
    expect(() => toRpcConfig([{ mode: "master", sync: "call_local" }])).toThrow(/"master"/);
    expect(() => toRpcConfig(["remote_sync" as never])).toThrow(/unknown rpc setting/);
  });
});

/** One method and one member per keyword; the node's authority is the first client. */
class Board extends NetNode {
  readonly ran: string[] = [];

  constructor(readonly api: SourceMultiplayerAPI) {
    super("board");
    for (const keyword of KEYWORDS) {
      (this as unknown as Record<string, unknown>)[keyword] = function (this: Board) {
        this.ran.push(`${keyword} from ${this.api.remoteSenderId}`);
      };
      this.rpcConfig(keyword, keyword);
      (this as unknown as Record<string, unknown>)[`${keyword}_var`] = 0;
      this.rpcConfig(`${keyword}_var`, keyword);
    }
  }
}

async function threePeers() {
  const { peers } = await gameOf(2);
  const [host, a, b] = peers as [(typeof peers)[number], (typeof peers)[number], (typeof peers)[number]];
  const boards = [host, a, b].map((p) => p.api.root.addChild(new Board(p.api)));
  for (const board of boards) board.setMultiplayerAuthority(a.api.uniqueId); // a is the network master
  const rejected: SourceRejection[] = [];
  for (const p of peers) p.api.on("rejected", (r) => rejected.push(r));
  const names = new Map([
    [host.api.uniqueId, "host"],
    [a.api.uniqueId, "master"],
    [b.api.uniqueId, "other"],
  ]);
  const byName = { host: boards[0]!, master: boards[1]!, other: boards[2]! };
  return { boards, byName, names, rejected };
}

type Caller = "master" | "host" | "other";

// Who runs `rpc(keyword)` (target 0), by caller, from Godot 3's _should_call_local / _can_call_mode:
// master runs only on the master; puppet only off it, and only when the master called; *sync also
// on the caller. A puppet calling a puppet function runs it itself, as in Godot 3.
const EXPECTED: Record<Godot3RpcMode, Record<Caller, string[]>> = {
  remote: { master: ["host", "other"], host: ["master", "other"], other: ["host", "master"] },
  remotesync: {
    master: ["host", "master", "other"],
    host: ["host", "master", "other"],
    other: ["host", "master", "other"],
  },
  master: { master: ["master"], host: ["master"], other: ["master"] },
  mastersync: { master: ["master"], host: ["host", "master"], other: ["master", "other"] },
  puppet: { master: ["host", "other"], host: ["host"], other: ["other"] },
  puppetsync: { master: ["host", "master", "other"], host: ["host"], other: ["other"] },
};

describe("Godot 3's meaning on three peers (host, a client that is the node's master, another client)", () => {
  for (const keyword of KEYWORDS) {
    for (const caller of ["master", "host", "other"] as const) {
      it(`${keyword} called by ${caller === "other" ? "another client" : `the ${caller}`}`, async () => {
        const { byName, names, rejected } = await threePeers();
        const board = byName[caller];
        board.rpc(keyword as never);
        // rset of the member with the same keyword: set where the method ran
        board.rset(`${keyword}_var` as never, 7 as never);
        await new Promise((resolve) => setTimeout(resolve, 10));
        const ranOn = Object.entries(byName)
          .filter(([, b]) => b.ran.length > 0)
          .map(([name]) => name)
          .sort();
        expect(ranOn).toEqual(EXPECTED[keyword][caller]);
        const setOn = Object.entries(byName)
          .filter(([, b]) => (b as unknown as Record<string, number>)[`${keyword}_var`] === 7)
          .map(([name]) => name)
          .sort();
        expect(setOn).toEqual(EXPECTED[keyword][caller]);
        for (const b of Object.values(byName)) {
          expect(b.ran.every((line) => line.endsWith(`from ${board.api.uniqueId}`))).toBe(true);
        }
        // Puppet calls from anyone but the master are refused, as in Godot 3: by the host for a
        // client's call (the host forwards nothing it refuses), by both clients for the host's.
        const refused = keyword.startsWith("puppet") && caller !== "master";
        const refusals = refused ? (caller === "host" ? 4 : 2) : 0;
        expect(rejected.map((r) => `${names.get(r.from)} ${r.reason}`)).toEqual(
          Array(refusals).fill(`${caller} forbidden`),
        );
      });
    }
  }

  it("rpcId to yourself runs only what would run here; master from the master is not sent", async () => {
    const { byName } = await threePeers();
    const { master, other } = byName;
    master.rpcId(master.api.uniqueId, "master" as never);
    expect(master.ran).toEqual([`master from ${master.api.uniqueId}`]);
    expect(() => other.rpcId(other.api.uniqueId, "master" as never)).toThrow(
      /does not run here: it runs only on the node's authority/,
    );
    expect(() => master.rpcId(master.api.uniqueId, "puppet" as never)).toThrow(/runs only off/);
    const sent: number[] = [];
    const send = master.api.peer.send.bind(master.api.peer);
    master.api.peer.send = (to, bytes, transfer, channel) => {
      // Calls only: a client's first relayed call to a node is preceded by a PATH_ANNOUNCE.
      if ((bytes[0] === Command.SYS ? bytes[6] : bytes[0]) !== extendedHead(Extended.PATH_ANNOUNCE))
        sent.push(to);
      send(to, bytes, transfer, channel);
    };
    master.rpc("master" as never);
    master.rpc("mastersync" as never);
    expect(sent).toEqual([]);
    master.rpc("remote" as never);
    expect(sent).toHaveLength(1);
  });
});

async function godot3Lobby(make: typeof standard | typeof legacy) {
  const network = new MemoryNetwork();
  const join = async (name: string, roomCode?: string) => {
    const api = new MultiplayerAPI();
    const lobby = api.root.addChild(new make.Godot3Lobby({ name, favorite_color: Color8(255, 0, 255) }));
    lobby._ready();
    const peer = new MemoryMultiplayerPeer(network);
    const code = roomCode ?? (await peer.createServer({ maxPlayers: 4 })).roomCode;
    if (roomCode) await peer.createClient(roomCode);
    api.peer = peer;
    const rejected: Rejection[] = [];
    api.on("rejected", (r) => rejected.push(r));
    return { api, lobby, code, rejected };
  };
  const host = await join("Host");
  const a = await join("Ada", host.code);
  const b = await join("Bob", host.code);
  const all = [host, a, b];
  await until(() => all.every((p) => p.lobby.player_info.size === 2));
  return { host, a, b, all };
}

describe.each([
  ["TC39 standard decorators", standard],
  ["experimentalDecorators", legacy],
])('Godot 3\'s lobby example, ported with @rpc("remote") etc. (%s)', (_flavour, make) => {
  it("registers every player with every peer, then pre-configures, unpauses and plays", async () => {
    const { host, a, b, all } = await godot3Lobby(make);
    const names = (p: (typeof all)[number]) =>
      [...p.lobby.player_info].map(([id, info]) => `${id}:${info.name}`).sort();
    expect(names(host)).toEqual([`${a.api.uniqueId}:Ada`, `${b.api.uniqueId}:Bob`].sort());
    expect(names(a)).toEqual([`1:Host`, `${b.api.uniqueId}:Bob`].sort());
    expect(names(b)).toEqual([`1:Host`, `${a.api.uniqueId}:Ada`].sort());

    host.lobby.start_game();
    await until(
      () => host.lobby.players_done.length === 2 && a.lobby.paused === false && b.lobby.paused === false,
    );
    expect(host.lobby.players_done.sort()).toEqual([a.api.uniqueId, b.api.uniqueId].sort());
    const ids = all.map((p) => String(p.api.uniqueId)).sort();
    for (const p of all) {
      const players = p.api.root.getNode("world/players")!;
      expect(players.children.map((c) => c.name).sort()).toEqual(ids);
      for (const player of players.children)
        expect(player.getMultiplayerAuthority()).toBe(Number(player.name));
    }
    expect(all.flatMap((p) => p.rejected)).toEqual([]);

    // puppet var: Ada's player moves on Ada's peer, and the puppets follow.
    const adas = all.map(
      (p) => p.api.root.getNode(`world/players/${a.api.uniqueId}`) as InstanceType<typeof make.Godot3Player>,
    );
    const [onHost, onAda, onBob] = adas as [
      (typeof adas)[number],
      (typeof adas)[number],
      (typeof adas)[number],
    ];
    onAda.move_to(new Vector2(3, 4));
    await until(() => onHost.puppet_pos.x === 3 && onBob.puppet_pos.x === 3);
    expect(onAda.puppet_pos).toEqual(new Vector2()); // puppet: not on the master
    onBob.rset("puppet_pos", new Vector2(9, 9)); // only the master may set it
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(onHost.puppet_pos.x).toBe(3);
    expect(host.rejected.map((r) => `${r.reason} ${r.method}`)).toEqual(["forbidden puppet_pos"]);

    // master func: the server's bomb calls exploded on everyone's copy; it runs on Ada's only, and
    // Ada stuns her player everywhere (puppet func stun, plus a local call).
    onHost.rpc("exploded", 1);
    await until(() => adas.every((player) => player.stunned));
    expect(adas.map((player) => player.exploded_by)).toEqual([[], [1], []]);
  });
});
