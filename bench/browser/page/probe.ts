import { NetNode, rpc } from "starwire";

/** The node the browser benchmarks call: echoes, a sink for throughput, state and clock pings for scaling. */
export class Probe extends NetNode<Probe> {
  readonly waiting = new Map<number, () => void>();
  sunk = 0;
  sinkTarget = 0;
  onSinkDone: (() => void) | null = null;

  @rpc("any_peer")
  ping(seq: number): void {
    this.rpcId(this.multiplayer.remoteSenderId, "pong", seq);
  }

  @rpc("any_peer")
  pong(seq: number): void {
    this.waiting.get(seq)?.();
  }

  @rpc("any_peer", "unreliable")
  pingUnreliable(seq: number): void {
    this.rpcId(this.multiplayer.remoteSenderId, "pongUnreliable", seq);
  }

  @rpc("any_peer", "unreliable")
  pongUnreliable(seq: number): void {
    this.waiting.get(seq)?.();
  }

  /** When each sink call arrived (Date.now()), for the reconnect benchmark. */
  readonly sinkTimes: number[] = [];

  @rpc("any_peer")
  sink(_seq: number): void {
    this.sinkTimes.push(Date.now());
    if (++this.sunk === this.sinkTarget) this.rpcId(this.multiplayer.remoteSenderId, "sinkDone");
  }

  @rpc("any_peer")
  sinkDone(): void {
    this.onSinkDone?.();
  }

  @rpc("authority", "unreliable")
  state(_sentAt: number, _entities: number[]): void {}

  /** Clock calibration for the scaling benchmark: answers with this tab's clock (ms since the epoch). */
  @rpc("any_peer")
  clockPing(seq: number, clientSentAt: number): void {
    this.rpcId(
      this.multiplayer.remoteSenderId,
      "clockPong",
      seq,
      clientSentAt,
      performance.timeOrigin + performance.now(),
    );
  }

  @rpc("any_peer")
  clockPong(_seq: number, _clientSentAt: number, _hostTime: number): void {}
}
