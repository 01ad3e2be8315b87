// Type-level test, checked by `tsc -b` (npm run typecheck): each @ts-expect-error line must be an
// error, so a typo in a method name or a wrong argument type is caught before the game runs.
import { Color8, type Lobby, NetNode, Vector2 } from "../src/common.js";

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

// The seed's lobby as a new user writes it: a plain `extends NetNode`, calls from its own methods.
type PlayerInfo = { name: string; favoriteColor: ReturnType<typeof Color8> };

export class SeedLobby extends NetNode {
  player_info = new Map<number, PlayerInfo>();
  my_info: PlayerInfo = { name: "Johnson Magenta", favoriteColor: Color8(255, 0, 255) };

  _player_connected(id: number): void {
    this.rpcId(id, "register_player", this.my_info);
    this.rpc("register_player", this.my_info);
    this.rpcUnreliable("pre_configure_game");
    this.rpcUnreliableId(1, "done_preconfiguring");
    this.rset("my_info", { name: "Ada", favoriteColor: Color8(0, 0, 0) });
    this.rsetId(1, "my_info", this.my_info);
    this.rpc("private_handler", 1);
    // @ts-expect-error a typo in the method name, inside the class
    this.rpcId(id, "register_playr", this.my_info);
    // @ts-expect-error wrong argument type, inside the class
    this.rpcId(id, "register_player", 42);
    // @ts-expect-error missing argument, inside the class
    this.rpc("register_player");
    // @ts-expect-error too many arguments, inside the class
    this.rpcId(1, "done_preconfiguring", "extra");
    // @ts-expect-error NetNode's own methods are not RPCs, inside the class
    this.rpc("getPath");
    // @ts-expect-error rset takes members, not methods, inside the class
    this.rset("register_player", this.my_info);
    // @ts-expect-error rset value of the wrong type, inside the class
    this.rset("my_info", "Ada");
    // @ts-expect-error unknown member, inside the class
    this.rsetUnreliable("my_inf", this.my_info);
  }

  register_player(info: PlayerInfo): void {
    this.player_info.set(this.multiplayer.remoteSenderId, info);
  }

  pre_configure_game(): void {}
  done_preconfiguring(): void {}

  /** TypeScript-private handlers are checked too (RPCs find them by name at runtime). */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: called by name, through rpc
  private private_handler(_n: number): void {}
}

export function seedFromOutside(lobby: SeedLobby): void {
  lobby.rpcId(2, "register_player", lobby.my_info);
  // @ts-expect-error a typo from outside
  lobby.rpc("typo");
  // @ts-expect-error wrong argument type from outside
  lobby.rpc("register_player", { name: 1 });
  // @ts-expect-error a private handler cannot be called directly from outside
  lobby.private_handler(1);
}

// Subclasses and generic classes: the class a call is made on decides, inside and outside.
export class Room<Info extends object> extends SeedLobby {
  info!: Info;
  share(_info: Info, _to: number): void {}

  announce(): void {
    this.rpc("share", this.info, 1);
    this.rpc("register_player", this.my_info);
    // @ts-expect-error wrong argument type for a generic parameter
    this.rpc("share", 1, 1);
  }
}

export function generic<N extends SeedLobby>(node: N, room: Room<{ x: number }>): void {
  node.rpc("pre_configure_game");
  room.rpc("share", { x: 1 }, 2);
  // @ts-expect-error a typo on a value of a generic node type
  node.rpc("pre_configure");
  // @ts-expect-error wrong info type
  room.rpc("share", { x: "1" }, 2);
}

// A node typed as the base class (what getNode returns) has no RPC names to offer; the error
// says what to do.
export function untyped(node: NetNode): void {
  // @ts-expect-error (this type has no RPC methods: type the node as its class, e.g. getNode(path) as Chat)
  node.rpc("say", "hi");
  // @ts-expect-error (this type has no members to rset: ...)
  node.rset("topic", "hi");
  (node as SeedLobby).rpc("pre_configure_game");
}

// A node that names itself (NetNode<Self>, which earlier versions needed) still compiles.
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

// Godot 3's keywords are settings like Godot 4's; a misspelt one is a compile error.
export class Godot3Node extends NetNode {
  pos = new Vector2();
  constructor() {
    super("godot3");
    this.rpcConfig("register_player", "remote");
    this.rpcConfig("stun", ["puppetsync", "unreliable"]);
    this.rpcConfig("pos", { mode: "puppet", transfer: "unreliable_ordered" });
    // @ts-expect-error not a Godot keyword
    this.rpcConfig("register_player", "remot");
  }
  register_player(): void {}
  stun(): void {}
}

// The Lobby's network handlers are no part of its API: one name per action.
export function lobbyApi(lobby: Lobby<PlayerInfo>): void {
  lobby.setReady(true);
  lobby.loadGame("arena");
  lobby.reportLoaded();
  // @ts-expect-error handler, not API
  lobby.ping(0);
  // @ts-expect-error handler, not API
  lobby.registerPlayer({ name: "x", favoriteColor: Color8(0, 0, 0) });
  // @ts-expect-error the old handler names are gone
  lobby.setPlayerReady(true);
  // @ts-expect-error the lobby is not a node to send RPCs through
  lobby.rpc("setReady", true);
}
