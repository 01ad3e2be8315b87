// Type-level test, checked by `tsc -b` (npm run typecheck): each @ts-expect-error line must be an
// error, so a typo in a method name or a wrong argument type is caught before the game runs.
import { NetNode, Vector2 } from "../src/common.js";

class Player extends NetNode {
  health = 100;
  name2 = "";
  move(_to: Vector2, _running: boolean): void {}
  say(_text: string, _times = 1): void {}
  jump(): void {}
}

export function typedCalls(player: Player): void {
  player.rpc("move", new Vector2(1, 2), true);
  player.rpc("say", "hi");
  player.rpc("say", "hi", 3);
  player.rpcId(1, "jump");
  player.rpcUnreliable("move", new Vector2(), false);
  player.rpcUnreliableId(-3, "say", "all but 3");
  player.rset("health", 50);
  player.rsetId(2, "name2", "Ada");

  // @ts-expect-error a typo in the method name
  player.rpc("jmup");
  // @ts-expect-error wrong argument type
  player.rpc("say", 42);
  // @ts-expect-error missing argument
  player.rpc("move", new Vector2());
  // @ts-expect-error too many arguments
  player.rpcId(1, "jump", "extra");
  // @ts-expect-error NetNode's own methods are not RPCs
  player.rpc("addChild", player);
  // @ts-expect-error rset takes members, not methods
  player.rset("jump", 1);
  // @ts-expect-error rset value of the wrong type
  player.rset("health", "full");
  // @ts-expect-error unknown member
  player.rsetUnreliable("mana", 3);
}

// A node that names itself (NetNode<Self>) gets the same checks inside its own methods.
export class Arena extends NetNode<Arena> {
  score = 0;
  setScore(_value: number): void {}

  announce(): void {
    this.rpc("setScore", 3);
    this.rset("score", 4);
    // @ts-expect-error wrong argument type inside the class
    this.rpc("setScore", "three");
    // @ts-expect-error typo inside the class
    this.rpc("setScroe", 3);
  }
}
