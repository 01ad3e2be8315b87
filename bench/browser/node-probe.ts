import { NetNode } from "starwire/node";

/** Node's wall clock in ms since the epoch, at performance.now() resolution. */
export const nodeNow = () => performance.timeOrigin + performance.now();

/** One clock exchange: how far the host's clock is ahead of ours, and the round trip it came with. */
export interface ClockSample {
  offsetMs: number;
  rttMs: number;
}

/**
 * The Node side of the page's Probe (page/probe.ts): the same networked names, so Node and
 * Chromium peers can share a room; records when each state arrives (Node's clock, with the host's
 * send time) and when each sink call came, and calibrates against the host's clock.
 */
export class NodeProbe extends NetNode<NodeProbe> {
  /** [host's clock when sent, Node's clock when received], per state message. */
  readonly states: Array<[number, number]> = [];
  readonly sinkTimes: number[] = [];
  readonly #pongs = new Map<number, (sample: ClockSample) => void>();

  constructor() {
    super("probe");
    for (const name of ["ping", "pong", "sink", "sinkDone", "clockPing", "clockPong"])
      this.rpcConfig(name, ["any_peer"]);
    for (const name of ["pingUnreliable", "pongUnreliable"]) this.rpcConfig(name, ["any_peer", "unreliable"]);
    this.rpcConfig("state", ["authority", "unreliable"]);
  }
  /** Set by the TURN benchmark, which times each ping until the host's pong. */
  onPong: ((seq: number) => void) | null = null;
  ping(_seq: number) {}
  pong(seq: number) {
    this.onPong?.(seq);
  }
  pingUnreliable() {}
  pongUnreliable() {}
  sink(_seq: number) {
    this.sinkTimes.push(Date.now());
  }
  sinkDone() {}
  state(sentAt: number, _entities: number[]) {
    this.states.push([sentAt, nodeNow()]);
  }
  clockPing(_seq: number, _clientSentAt: number) {}
  clockPong(seq: number, clientSentAt: number, hostTime: number) {
    const receivedAt = nodeNow();
    this.#pongs.get(seq)?.({
      offsetMs: hostTime - (clientSentAt + receivedAt) / 2,
      rttMs: receivedAt - clientSentAt,
    });
  }

  /**
   * Offset of the host's clock from Node's (host = Node + offset), from `count` reliable ping-pongs
   * with the host: the exchange with the smallest round trip wins (NTP's rule), and its error is
   * at most half that round trip.
   */
  async calibrate(count = 30): Promise<ClockSample> {
    let best: ClockSample | null = null;
    for (let seq = 0; seq < count; seq++) {
      const sample = await new Promise<ClockSample | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), 1000);
        this.#pongs.set(seq, (s) => {
          clearTimeout(timer);
          resolve(s);
        });
        this.rpcId(1, "clockPing", seq, nodeNow());
      });
      this.#pongs.delete(seq);
      if (sample && (!best || sample.rttMs < best.rttMs)) best = sample;
    }
    if (!best) throw new Error("clock calibration: no answer from the host");
    return best;
  }
}
