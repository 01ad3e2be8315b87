import { NetNode, rpc } from "starwire";

/** The node the RPC specs call; its records are what the specs assert on. */
export class Arena extends NetNode {
  readonly counted: number[] = [];
  readonly countSenders = new Set<number>();
  readonly blips: number[] = [];
  readonly heard: Array<[sender: number, text: string]> = [];
  readonly cheers: number[] = [];
  readonly hostOnlyCalls: number[] = [];
  readonly onChannelCalls: Array<[sender: number, value: number]> = [];

  @rpc("any_peer")
  count(seq: number): void {
    this.counted.push(seq);
    this.countSenders.add(this.multiplayer.remoteSenderId);
  }

  @rpc("any_peer", "unreliable")
  blip(seq: number): void {
    this.blips.push(seq);
  }

  @rpc("any_peer")
  whisper(text: string): void {
    this.heard.push([this.multiplayer.remoteSenderId, text]);
  }

  @rpc("any_peer", "call_local")
  cheer(): void {
    this.cheers.push(this.multiplayer.remoteSenderId);
  }

  @rpc
  hostOnly(): void {
    this.hostOnlyCalls.push(this.multiplayer.remoteSenderId);
  }

  readonly lateSenders: Array<[sender: number, gate: string]> = [];
  lateArrivals = 0;
  readonly #gates = new Map<string, () => void>();

  /**
   * Reads the sender after awaiting a gate the test opens, then one more await: Starwire keeps it
   * (Godot loses it, godot#86719), also while calls from several peers are suspended at once.
   */
  @rpc("any_peer")
  async later(gate: string): Promise<void> {
    this.lateArrivals++;
    await new Promise<void>((resolve) => this.#gates.set(gate, resolve));
    await Promise.resolve();
    this.lateSenders.push([this.multiplayer.remoteSenderId, gate]);
  }

  /** Lets the `later` call waiting at `gate` go on (not an RPC: the test calls it in the tab). */
  openGate(gate: string): void {
    this.#gates.get(gate)?.();
    this.#gates.delete(gate);
  }

  readonly bigPayloads: Array<{ sender: number; length: number; sum: number }> = [];

  /** Big messages: a checksum proves every byte arrived, in place. */
  @rpc("any_peer")
  big(data: Uint8Array): void {
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum = (sum * 31 + data[i]!) >>> 0;
    this.bigPayloads.push({ sender: this.multiplayer.remoteSenderId, length: data.length, sum });
  }

  /** Newest `sentAt` (the host's clock) of the state this peer holds; the state is 3 KB of filler. */
  newestState = 0;

  @rpc("authority", "unreliable")
  state(sentAt: number, _filler: Uint8Array): void {
    this.newestState = Math.max(this.newestState, sentAt);
  }

  @rpc({ mode: "any_peer", channel: 1 })
  onChannel(value: number): void {
    this.onChannelCalls.push([this.multiplayer.remoteSenderId, value]);
  }
}
