import { NetNode, rpc } from "starwire";
import { Simulation } from "./simulation.js";
import { type Snapshot, SnapshotBuffer } from "./snapshots.js";

const TICK_MS = 1000 / 30;
const STATE_INTERVAL_MS = 50; // 20 Hz state broadcast over the unreliable channel

/**
 * The game node, "/root/arena" on every peer. The host simulates; clients send their input and
 * draw interpolated state. Scores and the return to the lobby go over the reliable channel.
 */
export class Arena extends NetNode {
  readonly snapshots = new SnapshotBuffer();
  scores = new Map<number, number>();
  onScores: () => void = () => {};
  onBackToLobby: () => void = () => {};
  simulation: Simulation | null = null;
  #timers: Array<ReturnType<typeof setInterval>> = [];
  #tick = 0;

  constructor() {
    super("arena");
  }

  /** Host: runs the simulation for these players until `stop()`. */
  startSimulation(players: number[]): void {
    const simulation = new Simulation();
    for (const id of players) simulation.addPlayer(id);
    this.simulation = simulation;
    let last = performance.now();
    this.#timers.push(
      setInterval(() => {
        const now = performance.now();
        if (simulation.step(Math.min(0.1, (now - last) / 1000)))
          this.rpc("updateScores", simulation.scores());
        last = now;
      }, TICK_MS),
      setInterval(() => this.#broadcastState(simulation), STATE_INTERVAL_MS),
    );
    this.rpc("updateScores", simulation.scores());
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.simulation = null;
    this.snapshots.clear();
  }

  /** This peer's direction; the host applies its own directly. */
  steer(dx: number, dy: number): void {
    if (this.simulation) this.simulation.steer(this.multiplayer.uniqueId, dx, dy);
    else this.rpcId(1, "input", dx, dy);
  }

  @rpc("any_peer", "unreliable_ordered")
  input(dx: number, dy: number): void {
    this.simulation?.steer(this.multiplayer.remoteSenderId, dx, dy);
  }

  @rpc("authority", "unreliable")
  state(tick: number, players: number[], coins: number[]): void {
    if (!Array.isArray(players) || !Array.isArray(coins)) return;
    const snapshot: Snapshot = { at: performance.now(), tick, players: new Map(), coins: [] };
    for (let i = 0; i + 2 < players.length; i += 3)
      snapshot.players.set(players[i]!, { x: players[i + 1]!, y: players[i + 2]! });
    for (let i = 0; i + 1 < coins.length; i += 2) snapshot.coins.push({ x: coins[i]!, y: coins[i + 1]! });
    this.snapshots.push(snapshot);
  }

  @rpc("authority", "call_local")
  updateScores(scores: Record<string, number>): void {
    this.scores = new Map(Object.entries(scores).map(([id, score]) => [Number(id), Number(score)]));
    this.onScores();
  }

  @rpc("authority", "call_local")
  backToLobby(): void {
    this.onBackToLobby();
  }

  /** Positions are rounded to whole units: small msgpack integers instead of 9-byte floats. */
  #broadcastState(simulation: Simulation): void {
    const players: number[] = [];
    for (const [id, body] of simulation.bodies) players.push(id, Math.round(body.x), Math.round(body.y));
    const coins = simulation.coins.flatMap((coin) => [Math.round(coin.x), Math.round(coin.y)]);
    this.rpc("state", ++this.#tick, players, coins);
  }
}
