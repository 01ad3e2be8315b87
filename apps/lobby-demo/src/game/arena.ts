import { type LobbyPlayer, MultiplayerSpawner, NetNode, rpc } from "starwire";
import type { PlayerInfo } from "../player-info.js";
import { Coin } from "./coin.js";
import { Player } from "./player.js";
import { COINS, Simulation } from "./simulation.js";

const STEP_MS = 1000 / 30;

/**
 * The game node, "/root/arena" on every peer. The host is the authority of the world: it simulates
 * and adds Player and Coin nodes under the arena, which its spawner creates on every peer (late
 * joiners too) and their synchronizers keep up to date. Clients send their input by RPC: it goes
 * to the host only, and `Simulation.steer` is the one place that checks it.
 */
export class Arena extends NetNode {
  /** Host: a score changed. */
  onScores: () => void = () => {};
  onBackToLobby: () => void = () => {};
  simulation: Simulation | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super("arena");
    const spawner = this.addChild(new MultiplayerSpawner("spawner"));
    spawner.addSpawnable("Player", Player);
    spawner.addSpawnable("Coin", Coin);
  }

  get players(): Player[] {
    return this.children.filter((node) => node instanceof Player);
  }

  get coins(): Coin[] {
    return this.children.filter((node) => node instanceof Coin);
  }

  get scores(): Map<number, number> {
    return new Map(this.players.map((player) => [player.peerId, player.score]));
  }

  /** Host: runs a round for these players until `stop()`. */
  startSimulation(players: Iterable<LobbyPlayer<PlayerInfo>>): void {
    this.stop();
    const coins = Array.from({ length: COINS }, (_, i) => new Coin(`coin${i}`));
    const simulation = new Simulation(Math.random, coins);
    const circles = [...players].map(({ id, info }) =>
      Object.assign(simulation.addPlayer(id, new Player(String(id))), {
        displayName: info.name,
        color: info.color,
      }),
    );
    // Added once placed, so that their spawn carries where they start.
    for (const node of [...coins, ...circles]) this.addChild(node);
    this.simulation = simulation;
    let last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      if (simulation.step(Math.min(0.1, (now - last) / 1000))) this.onScores();
      last = now;
    }, STEP_MS);
  }

  /** Host: a player left; their circle goes away everywhere. */
  removePlayer(id: number): void {
    this.simulation?.removePlayer(id);
    const player = this.players.find((node) => node.peerId === id);
    if (player && this.simulation) this.removeChild(player);
  }

  /** Ends the round; on the host, its nodes are despawned everywhere (clients wait for that). */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.simulation) for (const node of [...this.players, ...this.coins]) this.removeChild(node);
    this.simulation = null;
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

  @rpc("authority", "call_local")
  backToLobby(): void {
    this.onBackToLobby();
  }
}
