import { Color, MultiplayerSynchronizer, NetNode } from "starwire";
import type { Body } from "./simulation.js";

/**
 * A player's circle, "/root/arena/<peer id>" on every peer. The host moves it (simulation.ts) and
 * its spawner creates it everywhere; the synchronizer sends the position every network tick
 * (unreliable, quantized to 0.1 arena unit, interpolated by receivers), the score reliably when it
 * changes, and the name and colour only with the spawn: they do not change during a round.
 */
export class Player extends NetNode implements Body {
  x = 0;
  y = 0;
  /** The direction the host steers it in; only the host uses it, so it is not replicated. */
  dx = 0;
  dy = 0;
  score = 0;
  /** The player's name in the lobby (`name` is the node's name: the peer id). */
  displayName = "";
  color = new Color(1, 1, 1, 1);

  constructor(name: string) {
    super(name);
    this.addChild(new MultiplayerSynchronizer("sync")).replicationConfig = {
      x: { replicate: "always", spawn: true, precision: 0.1, interpolate: true },
      y: { replicate: "always", spawn: true, precision: 0.1, interpolate: true },
      score: { replicate: "on_change", spawn: true },
      displayName: { replicate: "never", spawn: true },
      color: { replicate: "never", spawn: true },
    };
  }

  get peerId(): number {
    return Number(this.name);
  }
}
