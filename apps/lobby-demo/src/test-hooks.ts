import type { NetworkConditions } from "starwire";
import type { LinkRow } from "./net-stats.js";

/** Read-only hooks for the e2e tests: what this tab draws and knows. */
export interface DemoHooks {
  positions(): Record<number, { x: number; y: number }>;
  /** The overlay's figures, by player id. */
  netRows(): Record<number, LinkRow>;
  /** What the debug panel's sliders say (null: all at 0). */
  conditions(): NetworkConditions | null;
  myId(): number;
  screen(): "home" | "lobby" | "game";
}

declare global {
  interface Window {
    starwireDemo: DemoHooks;
  }
}
