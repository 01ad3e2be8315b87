import { MultiplayerSynchronizer, NetNode } from "starwire";

/**
 * A coin, "/root/arena/coin<i>" on every peer. A collected coin reappears elsewhere at once, so
 * its position goes reliably when it changes and is not interpolated: it jumps, it never slides.
 */
export class Coin extends NetNode {
  x = 0;
  y = 0;

  constructor(name: string) {
    super(name);
    this.addChild(new MultiplayerSynchronizer("sync")).replicationConfig = {
      x: { replicate: "on_change", spawn: true },
      y: { replicate: "on_change", spawn: true },
    };
  }
}
