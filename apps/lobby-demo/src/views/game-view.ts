import type { MultiplayerAPI } from "starwire";
import { byId, element } from "../dom.js";
import { Arena } from "../game/arena.js";
import { DirectionInput } from "../game/input.js";
import { drawArena, fitCanvas } from "../game/renderer.js";

const INPUT_RESEND_MS = 100;

/** The arena: draws the replicated world, sends this player's input, shows the scores. */
export class GameView {
  readonly arena = new Arena();
  readonly #api: MultiplayerAPI;
  readonly #canvas = byId<HTMLCanvasElement>("arena-canvas");
  #input: DirectionInput | null = null;
  #frame = 0;
  #resend: ReturnType<typeof setInterval> | null = null;
  #scores = "";
  /** What this peer drew last, by player id (also read by the e2e tests). */
  drawn = new Map<number, { x: number; y: number }>();

  constructor(api: MultiplayerAPI) {
    this.#api = api;
    api.root.addChild(this.arena);
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
      // Godot's poll from the game loop: interpolated positions are brought up to this frame.
      this.#api.poll();
      this.#draw();
      this.#frame = requestAnimationFrame(loop);
    };
    this.#frame = requestAnimationFrame(loop);
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
    const players = this.arena.players;
    this.drawn = new Map(players.map((player) => [player.peerId, { x: player.x, y: player.y }]));
    drawArena(this.#canvas, players, this.arena.coins, this.#api.uniqueId);
    this.#renderScores(players.map((player) => [player.displayName, player.score] as const));
  }

  /** Rebuilt only when a score or a player changed. */
  #renderScores(scores: Array<readonly [string, number]>): void {
    const rows = scores.sort((a, b) => b[1] - a[1]);
    const key = JSON.stringify(rows);
    if (key === this.#scores) return;
    this.#scores = key;
    byId("scoreboard").replaceChildren(
      ...rows.map(([name, score]) => element("li", "score", `${name}: ${score}`)),
    );
  }
}
