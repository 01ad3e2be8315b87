import type * as Starwire from "starwire";
import type { Arena } from "./arena.js";

export interface HarnessEvent {
  name: string;
  args: unknown[];
  at: number;
}

export interface DataChannelRecord extends RTCDataChannelInit {
  label: string;
}

export type JoinOptions = Omit<Starwire.WebRTCPeerOptions, "signalingUrl">;

export interface Harness {
  starwire: typeof Starwire;
  api: Starwire.MultiplayerAPI;
  arena: Arena;
  events: HarnessEvent[];
  channels: DataChannelRecord[];
  /** Creates a room, assigns the peer to `multiplayer`, returns the room code. */
  host(maxPlayers: number, options?: JoinOptions): Promise<string>;
  join(
    roomCode: string,
    options?: JoinOptions,
  ): Promise<{ ok: true; id: number } | { ok: false; reason: string }>;
  /** Makes the DTLS handshake of this tab's next connections fail. */
  breakDtls(): void;
  /** What this tab's WebRTC peer holds (`debugStats()`), or null when it has none. */
  stats(): ReturnType<Starwire.WebRTCMultiplayerPeer["debugStats"]> | null;
  /** Event log as "peerConnected 123" lines, packets left out. */
  names(): string[];
  /** The candidate types of the pair each open connection of this tab selected (getStats). */
  selectedPairs(): Promise<Array<{ local: string; remote: string }>>;
  /** The types of every ICE candidate this tab's open connections gathered or were sent (getStats). */
  candidateTypes(): Promise<string[]>;
}

declare global {
  interface Window {
    harness: Harness;
  }
}
