import type * as Starwire from "starwire";

export interface HarnessEvent {
  name: string;
  args: unknown[];
  at: number;
}

export interface DataChannelRecord extends RTCDataChannelInit {
  label: string;
}

export interface Harness {
  starwire: typeof Starwire;
  api: Starwire.MultiplayerAPI;
  events: HarnessEvent[];
  channels: DataChannelRecord[];
  /** Creates a room, assigns the peer to `multiplayer`, returns the room code. */
  host(maxPlayers: number): Promise<string>;
  join(roomCode: string, connectTimeoutMs?: number): Promise<{ ok: true; id: number } | { ok: false; reason: string }>;
  /** Event log as "peerConnected 123" lines, packets left out. */
  names(): string[];
}

declare global {
  interface Window {
    harness: Harness;
  }
}
