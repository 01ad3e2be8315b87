import type { Lobby, MultiplayerAPI } from "starwire";
import { byId, element } from "../dom.js";
import { Arena } from "../game/arena.js";
import { DirectionInput } from "../game/input.js";
import { type DrawnPlayer, drawArena, fitCanvas } from "../game/renderer.js";
import type { PlayerInfo } from "../player-info.js";

const INPUT_RESEND_MS = 100;

/** The arena: draws what the host simulates, sends this player's input, shows the scores. */
export class GameView {
  readonly arena = new Arena();
  readonly #api: MultiplayerAPI;
  readonly #lobby: Lobby<PlayerInfo>;
  readonly #canvas = byId<HTMLCanvasElement>("arena-canvas");
  #input: DirectionInput | null = null;
  #frame = 0;
  #resend: ReturnType<typeof setInterval> | null = null;
  /** What this peer drew last, by player id (also read by the e2e tests). */
  drawn = new Map<number, { x: number; y: number }>();

  constructor(api: MultiplayerAPI, lobby: Lobby<PlayerInfo>) {
    this.#api = api;
    this.#lobby = lobby;
    api.root.addChild(this.arena);
    this.arena.onScores = () => this.#renderScores();
    lobby.events.on("playerDisconnected", (id) => this.arena.simulation?.removePlayer(id));
  }

  enter(): void {
    this.#input = new DirectionInput(this.#canvas, (dx, dy) => this.arena.steer(dx, dy));
    if (!this.#api.isServer()) {
      // Input travels unreliably; repeating it covers a lost packet within 100 ms.
      this.#resend = setInterval(() => {
        const { dx, dy } = this.#input!.direction;
        this.arena.steer(dx, dy);
      }, INPUT_RESEND_MS);
    }
    const loop = () => {
      this.#draw();
      this.#frame = requestAnimationFrame(loop);
    };
    this.#frame = requestAnimationFrame(loop);
    this.#renderScores();
  }

  exit(): void {
    cancelAnimationFrame(this.#frame);
    if (this.#resend) clearInterval(this.#resend);
    this.#resend = null;
    this.#input?.dispose();
    this.#input = null;
    this.arena.stop();
    this.drawn.clear();
  }

  #draw(): void {
    fitCanvas(this.#canvas);
    const simulation = this.arena.simulation;
    const snapshot = simulation ? null : this.arena.snapshots.sample(performance.now());
    const positions = simulation ? simulation.bodies : (snapshot?.players ?? new Map());
    const coins = simulation ? simulation.coins : (snapshot?.coins ?? []);
    const me = this.#api.uniqueId;
    const players: DrawnPlayer[] = [];
    this.drawn = new Map();
    for (const [id, { x, y }] of positions) {
      const player = this.#lobby.players.get(id);
      if (!player) continue;
      this.drawn.set(id, { x, y });
      players.push({ id, x, y, color: player.info.color.toHtml(), name: player.info.name, isMe: id === me });
    }
    drawArena(this.#canvas, players, coins);
  }

  #renderScores(): void {
    const rows = [...this.arena.scores].sort((a, b) => b[1] - a[1]);
    byId("scoreboard").replaceChildren(
      ...rows
        .filter(([id]) => this.#lobby.players.has(id))
        .map(([id, score]) => element("li", "score", `${this.#lobby.players.get(id)!.info.name}: ${score}`)),
    );
  }
}
