// Compiled twice by tsc: once with TC39 standard decorators, once with experimentalDecorators.
import { NetNode, networked, rpc } from "starwire";

export class Chat extends NetNode {
  readonly heard: string[] = [];

  @networked("any_peer")
  topic = "none";

  @networked
  hostTopic = "none";

  constructor() {
    super("chat");
  }

  @rpc("any_peer", "call_local")
  say(text: string): void {
    this.heard.push(`${this.multiplayer.remoteSenderId}:say:${text}`);
  }

  @rpc
  announce(text: string): void {
    this.heard.push(`${this.multiplayer.remoteSenderId}:announce:${text}`);
  }

  @rpc({ mode: "any_peer", transfer: "unreliable_ordered", channel: 1 })
  move(x: number, y: number): void {
    this.heard.push(`${this.multiplayer.remoteSenderId}:move:${x},${y}`);
  }

  notAnRpc(): void {
    this.heard.push("notAnRpc");
  }
}
