/** Read-only hooks for the e2e tests: what this tab draws and knows. */
export interface DemoHooks {
  positions(): Record<number, { x: number; y: number }>;
  myId(): number;
  screen(): "home" | "lobby" | "game";
}

declare global {
  interface Window {
    starwireDemo: DemoHooks;
  }
}
