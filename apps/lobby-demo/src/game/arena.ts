import { type LobbyPlayer, MultiplayerSpawner, NetNode, rpc } from "starwire";
import type { PlayerInfo } from "../player-info.js";
import { Coin } from "./coin.js";
import { Player } from "./player.js";
import { COINS, Simulation } from "./simulation.js";

/**
 * Twice the network tick rate: a tick sends the positions of the last step, which is then at most
 * 1/60 s older than the tick it is stamped with (the step timer does not run in phase with ticks).
 */
const STEP_MS = 1000 / 60;

/**
 * The game node, "/root/arena" on every peer. The host is the authority of the world: it adds
 * Player and Coin nodes under the arena and simulates them; the spawner creates them on every
 * peer (late joiners too) and their synchronizers keep them up to date. Input goes to the host
 * by RPC: it concerns the host only, and `Simulation.steer` is the one place that checks it.
 */
export class Arena extends NetNode {
  /** Host: someone scored. */
  onScores: () => void = () => {};
  onBackToLobby: () => void = () => {};
  #simulation: Simulation | null = null;
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

  /** Host: runs a round for these players until `stop()`. */
  startSimulation(players: Iterable<LobbyPlayer<PlayerInfo>>): void {
    this.stop();
    const simulation = new Simulation();
    // Each node is placed before it is added: its spawn carries where it starts.
    for (let i = 0; i < COINS; i++) this.addChild(simulation.drop(new Coin(`coin${i}`)));
    for (const { id, info } of players) {
      const player = simulation.spawn(new Player(String(id)));
      player.displayName = info.name;
      player.color = info.color;
      this.addChild(player);
    }
    this.#simulation = simulation;
    let last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      if (simulation.step(this.players, this.coins, Math.min(0.1, (now - last) / 1000))) this.onScores();
      last = now;
    }, STEP_MS);
  }

  /** Host: a player left; their circle is despawned everywhere. */
  removePlayer(id: number): void {
    const player = this.#simulated(id);
    if (player) this.removeChild(player);
  }

  /** Ends the round; the host's nodes are despawned everywhere (clients wait for that). */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#simulation) for (const node of [...this.players, ...this.coins]) this.removeChild(node);
    this.#simulation = null;
  }

  /** This peer's direction; the host applies its own directly. */
  steer(dx: number, dy: number): void {
    if (this.#simulation) this.#steer(this.multiplayer.uniqueId, dx, dy);
    else this.rpcId(1, "input", dx, dy);
  }

  @rpc("any_peer", "unreliable_ordered")
  input(dx: number, dy: number): void {
    this.#steer(this.multiplayer.remoteSenderId, dx, dy);
  }

  @rpc("authority", "call_local")
  backToLobby(): void {
    this.onBackToLobby();
  }

  #steer(id: number, dx: unknown, dy: unknown): void {
    const player = this.#simulated(id);
    if (player) this.#simulation!.steer(player, dx, dy);
  }

  /** Host: the player `id` in the running round. */
  #simulated(id: number): Player | null {
    if (!this.#simulation) return null;
    return this.players.find((player) => player.peerId === id) ?? null;
  }
}
