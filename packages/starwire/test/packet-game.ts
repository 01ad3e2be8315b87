/**
 * The packet fuzzer's test game on real MultiplayerAPIs: the host (1) and two honest clients (3, 4)
 * with their node trees, the hostile client (2) as a bare address whose bytes the fuzzer writes,
 * joined by a synchronous in-memory star. packet-model.ts describes the same game.
 */
import {
  MultiplayerAPI,
  type MultiplayerPeer,
  NetNode,
  type PeerEventHandler,
  type StandardSchemaV1,
  type TransferMode,
} from "../src/common.js";
import type { Step } from "./packet-grammar.js";
import {
  ABSENT,
  ATTACKER,
  CLOCK_PONG,
  canon,
  HOST,
  HOST_TIME,
  hex,
  isShortText,
  type ModelLimits,
} from "./packet-model.js";

/** Every observable effect, as the model writes it: one shared log per game. */
const logs = new WeakMap<MultiplayerAPI, string[]>();

class Recorded extends NetNode {
  protected record(kind: "run" | "set", name: string, received: unknown): void {
    const api = this.multiplayer;
    logs
      .get(api)!
      .push(
        `${api.uniqueId} ${kind} ${this.getPath()}.${name} from ${api.remoteSenderId} ${canon(received)}`,
      );
  }
}

const shortText: StandardSchemaV1 = {
  "~standard": {
    version: 1,
    vendor: "fuzz",
    validate: (value) => (isShortText(value) ? { value } : { issues: [{ message: "text of 0-8" }] }),
  },
};

export class Arena extends Recorded {
  #label: unknown = "";
  #phase: unknown = 0;
  #score: unknown = 0;
  constructor() {
    super("arena");
    this.rpcConfig("announce", []);
    this.rpcConfig("chat", { mode: "any_peer", args: [shortText] });
    this.rpcConfig("endRound", []);
    this.rpcConfig("move", ["any_peer"]);
    this.rpcConfig("noop", ["any_peer"]);
    this.rpcConfig("spread", ["any_peer"]);
    this.rpcConfig("label", { mode: "any_peer", value: shortText });
    this.rpcConfig("phase", []);
    this.rpcConfig("score", ["any_peer"]);
  }
  announce(text: unknown) {
    this.record("run", "announce", [text]);
  }
  chat(text: unknown) {
    this.record("run", "chat", [text]);
  }
  endRound() {
    this.record("run", "endRound", []);
  }
  move(x: unknown, y: unknown = ABSENT) {
    this.record("run", "move", [x, y]);
  }
  noop() {
    this.record("run", "noop", []);
  }
  spread(...values: unknown[]) {
    this.record("run", "spread", values);
  }
  get label() {
    return this.#label;
  }
  set label(value: unknown) {
    this.#label = value;
    this.record("set", "label", value);
  }
  get phase() {
    return this.#phase;
  }
  set phase(value: unknown) {
    this.#phase = value;
    this.record("set", "phase", value);
  }
  get score() {
    return this.#score;
  }
  set score(value: unknown) {
    this.#score = value;
    this.record("set", "score", value);
  }
}

export class Pawn extends Recorded {
  #hp: unknown = 10;
  constructor(name: string, authority: number) {
    super(name);
    this.setMultiplayerAuthority(authority);
    this.rpcConfig("step", []);
    this.rpcConfig("taunt", ["any_peer"]);
    this.rpcConfig("hp", []);
  }
  step(direction: unknown) {
    this.record("run", "step", [direction]);
  }
  taunt() {
    this.record("run", "taunt", []);
  }
  get hp() {
    return this.#hp;
  }
  set hp(value: unknown) {
    this.#hp = value;
    this.record("set", "hp", value);
  }
}

/** What the host spawns and removes: `/root/spark<n>` on the host and both honest clients. */
export class Spark extends Recorded {
  constructor(name: string) {
    super(name);
    this.rpcConfig("flash", ["any_peer"]);
  }
  flash() {
    this.record("run", "flash", []);
  }
}

export class Vault extends Recorded {
  constructor() {
    super("hostonly");
    this.rpcConfig("deposit", ["any_peer"]);
  }
  deposit(amount: unknown) {
    this.record("run", "deposit", [amount]);
  }
}

export class Lobby extends Recorded {
  constructor() {
    super("lobby");
    this.rpcConfig("join", ["any_peer"]);
  }
  join(name: unknown) {
    this.record("run", "join", [name]);
  }
}

/** Client 4's newer Lobby: one more RPC, so its digest differs. */
export class LobbyV2 extends Lobby {
  constructor() {
    super();
    this.rpcConfig("leave", ["any_peer"]);
  }
  leave() {
    this.record("run", "leave", []);
  }
}

export class ClientSide extends Recorded {
  constructor() {
    super("clientside");
    this.rpcConfig("ping", ["any_peer"]);
  }
  ping() {
    this.record("run", "ping", []);
  }
}

/** A node named "__proto__". */
export class Odd extends Recorded {
  constructor() {
    super("__proto__");
    this.rpcConfig("poke", ["any_peer"]);
  }
  poke(...values: unknown[]) {
    this.record("run", "poke", values);
  }
}

/** A pong's host time (its last 8 bytes) is the host's clock, which the model cannot know. */
const forAttacker = (data: Uint8Array) =>
  data[0] === CLOCK_PONG && data.length === 17 ? `${hex(data.subarray(0, 9))}${HOST_TIME}` : hex(data);

/** Transport of the test star: sends are queued and `pump` delivers them in order, synchronously. */
class Star {
  readonly queue: Array<[from: number, to: number, data: Uint8Array, transfer: TransferMode]> = [];
  readonly handlers = new Map<number, PeerEventHandler>();
  /** What reached the hostile client, as the model writes it. */
  readonly toAttacker: string[] = [];

  pump(): void {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      const [from, to, data, transfer] = next;
      if (to === ATTACKER) this.toAttacker.push(`2 gets ${transfer} ${forAttacker(data)}`);
      else this.handlers.get(to)!.packet(from, data, transfer, 0);
    }
  }
}

class StarLink implements MultiplayerPeer {
  readonly connectionStatus = "connected" as const;
  refuseNewConnections = false;
  constructor(
    readonly star: Star,
    readonly uniqueId: number,
  ) {}
  send(to: number, data: Uint8Array, transfer: TransferMode): void {
    this.star.queue.push([this.uniqueId, to, data.slice(), transfer]);
  }
  /** Nothing waits: every send is queued for `pump`. */
  discardWaiting(): void {}
  disconnectPeer(id: number): void {
    throw new Error(`nobody is dropped in this game (${id})`);
  }
  close(): void {}
  attach(handler: PeerEventHandler | null): void {
    if (handler) this.star.handlers.set(this.uniqueId, handler);
  }
}

/**
 * The test game's peers and node trees, built once. Every session gives each MultiplayerAPI a new
 * transport, which starts it afresh (no peers, empty path caches, no rejection counts), and plays
 * the setup again.
 */
export function createGame() {
  const lines: string[] = [];
  const apis = new Map<number, MultiplayerAPI>();
  for (const id of [HOST, 3, 4]) {
    const api = new MultiplayerAPI();
    logs.set(api, lines);
    const arena = api.root.addChild(new Arena());
    arena.addChild(new Pawn("pawn2", 2));
    arena.addChild(new Pawn("pawn3", 3));
    api.root.addChild(id === 4 ? new LobbyV2() : new Lobby());
    api.root.addChild(new Odd());
    api.root.addChild(id === HOST ? new Vault() : new ClientSide());
    api.on("rejected", (r) =>
      lines.push(`${id} rejected ${r.reason} from ${r.from} ${r.node || "-"} ${r.method || "-"}`),
    );
    api.on("peerPacket", (from, data) => lines.push(`${id} raw from ${from} ${hex(data)}`));
    api.on("staleBaseline", (from) => lines.push(`${id} stale baseline from ${from}`));
    apis.set(id, api);
  }
  const arena = (id: number) => apis.get(id)!.root.getNode("arena") as Arena;
  const pawn3 = (id: number) => apis.get(id)!.root.getNode("arena/pawn3") as Pawn;
  const host = apis.get(HOST)!;
  let star = new Star();
  const unlimited = { messagesPerSecond: 1e9, messageBurst: 1e9, bytesPerSecond: 1e12, byteBurst: 1e12 };

  /** Runs what is queued and returns every effect since the last call, sorted. */
  const effects = () => {
    star.pump();
    const all = [...lines, ...star.toAttacker].sort();
    lines.length = 0;
    star.toAttacker.length = 0;
    return all;
  };

  /** The sparks alive, oldest first, and how many this session made. */
  let sparks: string[] = [];
  let sparkCount = 0;
  const sparkOn = (id: number, name: string) => apis.get(id)!.root.getNode(name) as Spark;

  return {
    apis,
    /** Connects everyone afresh and plays the setup the model starts from; returns its effects. */
    start(limits: ModelLimits | null): string[] {
      // The last session's sparks go first (what their removal sends goes to its dead star).
      for (const name of sparks)
        for (const id of [3, 4, HOST]) apis.get(id)!.root.removeChild(sparkOn(id, name));
      sparks = [];
      sparkCount = 0;
      star = new Star();
      host.rateLimits = { ...unlimited, policy: "drop" }; // also forgets the last session's buckets
      for (const [id, api] of apis) api.peer = new StarLink(star, id);
      for (const id of [2, 3, 4]) star.handlers.get(HOST)!.peerConnected(id);
      for (const id of [3, 4]) star.handlers.get(id)!.peerConnected(HOST);
      star.pump();
      // The host announces /root/arena, client 3 its pawn.
      arena(HOST).rpc("announce", "hi");
      star.pump();
      pawn3(3).rpc("step", 0);
      const setup = effects();
      host.rateLimits = limits
        ? { ...limits, messagesPerSecond: 0, bytesPerSecond: 0, policy: "drop" }
        : { ...unlimited, policy: "drop" };
      return setup;
    },
    /** Runs one step and returns its effects, sorted. */
    step(step: Step): string[] {
      if (step.kind === "attacker")
        star.handlers.get(HOST)!.packet(ATTACKER, step.bytes.slice(), step.transfer, 0);
      else if (step.kind === "announce") arena(HOST).rpc("announce", step.text);
      else if (step.kind === "spark") {
        const name = `spark${sparkCount++}`;
        sparks.push(name);
        for (const id of [HOST, 3, 4]) apis.get(id)!.root.addChild(new Spark(name));
        sparkOn(HOST, name).rpc("flash");
      } else if (step.kind === "unspark") {
        const name = sparks.shift();
        if (name) for (const id of [3, 4, HOST]) apis.get(id)!.root.removeChild(sparkOn(id, name));
      } else pawn3(3).rpc("step", step.n);
      return effects();
    },
  };
}

export type Game = ReturnType<typeof createGame>;
