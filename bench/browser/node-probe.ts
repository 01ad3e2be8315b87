import { NetNode } from "starwire/node";

/**
 * The Node side of the page's Probe (page/probe.ts): the same networked names, so Node and
 * Chromium peers can share a room; records how old each state is and when each sink call came.
 */
export class NodeProbe extends NetNode<NodeProbe> {
  readonly ages: number[] = [];
  readonly sinkTimes: number[] = [];

  constructor() {
    super("probe");
    for (const name of ["ping", "pong", "sink", "sinkDone"]) this.rpcConfig(name, ["any_peer"]);
    for (const name of ["pingUnreliable", "pongUnreliable"]) this.rpcConfig(name, ["any_peer", "unreliable"]);
    this.rpcConfig("state", ["authority", "unreliable"]);
  }
  ping() {}
  pong() {}
  pingUnreliable() {}
  pongUnreliable() {}
  sink(_seq: number) {
    this.sinkTimes.push(Date.now());
  }
  sinkDone() {}
  state(sentAt: number, _entities: number[]) {
    this.ages.push(performance.timeOrigin + performance.now() - sentAt);
  }
}
