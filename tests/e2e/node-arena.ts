import { type MultiplayerAPI, NetNode } from "starwire/node";

/**
 * The harness page's Arena for Node peers: the same networked names (the digest compares names),
 * declared without decorators, recording what arrives.
 */
export class NodeArena extends NetNode {
  readonly log: Array<[method: string, sender: number, value?: unknown]> = [];
  newestState = 0;
  constructor(readonly api: MultiplayerAPI) {
    super("arena");
    for (const name of ["count", "whisper", "cheer", "later", "onChannel", "big"])
      this.rpcConfig(name, ["any_peer"]);
    this.rpcConfig("blip", ["any_peer", "unreliable"]);
    this.rpcConfig("hostOnly", []);
    this.rpcConfig("state", ["authority", "unreliable"]);
  }
  count(seq: number) {
    this.log.push(["count", this.api.remoteSenderId, seq]);
  }
  blip(seq: number) {
    this.log.push(["blip", this.api.remoteSenderId, seq]);
  }
  whisper(text: string) {
    this.log.push(["whisper", this.api.remoteSenderId, text]);
  }
  cheer() {
    this.log.push(["cheer", this.api.remoteSenderId]);
  }
  hostOnly() {}
  big(_data: Uint8Array) {}
  state(sentAt: number, _filler: Uint8Array) {
    this.newestState = Math.max(this.newestState, sentAt);
  }
  later(_gate: string) {}
  onChannel(value: number) {
    this.log.push(["onChannel", this.api.remoteSenderId, value]);
  }
}
