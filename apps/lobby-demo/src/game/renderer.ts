import { Color } from "starwire";
import type { Coin } from "./coin.js";
import type { Player } from "./player.js";
import { ARENA, COIN_RADIUS, PLAYER_RADIUS } from "./simulation.js";

const BACKGROUND = "#141726";
const WALL = "#3a3f5c";
const COIN = "#f5b700";

/** Draws the arena scaled to the canvas, which keeps the arena's aspect ratio. */
export function drawArena(
  canvas: HTMLCanvasElement,
  players: readonly Player[],
  coins: readonly Coin[],
  me: number,
): void {
  const context = canvas.getContext("2d");
  if (!context) return;
  const scale = canvas.width / ARENA.width;
  context.setTransform(scale, 0, 0, scale, 0, 0);
  context.fillStyle = BACKGROUND;
  context.fillRect(0, 0, ARENA.width, ARENA.height);
  context.strokeStyle = WALL;
  context.lineWidth = 6;
  context.strokeRect(3, 3, ARENA.width - 6, ARENA.height - 6);

  context.fillStyle = COIN;
  for (const coin of coins) {
    context.beginPath();
    context.arc(coin.x, coin.y, COIN_RADIUS, 0, Math.PI * 2);
    context.fill();
  }
  context.font = "14px system-ui, sans-serif";
  context.textAlign = "center";
  for (const player of players) {
    // Replicated values are written as they arrive, unchecked: a bad colour must not stop the frame loop.
    context.fillStyle = player.color instanceof Color ? player.color.toHtml() : WALL;
    context.beginPath();
    context.arc(player.x, player.y, PLAYER_RADIUS, 0, Math.PI * 2);
    context.fill();
    if (player.peerId === me) {
      context.strokeStyle = "#ffffff";
      context.lineWidth = 2;
      context.beginPath();
      context.arc(player.x, player.y, PLAYER_RADIUS + 4, 0, Math.PI * 2);
      context.stroke();
    }
    context.fillStyle = "#e8eaf6";
    context.fillText(player.displayName, player.x, player.y - PLAYER_RADIUS - 8);
  }
}

/** Fits the canvas's pixel size to its displayed width (sharp on phones and desktops alike). */
export function fitCanvas(canvas: HTMLCanvasElement): void {
  const width = Math.max(1, Math.round(canvas.clientWidth * (window.devicePixelRatio || 1)));
  const height = Math.round((width * ARENA.height) / ARENA.width);
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
}
