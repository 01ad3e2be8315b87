// Godot 3's lobby example (Godot 3.5 docs, "High-level multiplayer"), ported with its own RPC
// keywords. Compiled twice by tsc, with TC39 standard decorators and with experimentalDecorators:
// the calls inside these classes are type-checked with a plain `extends NetNode` in both, and
// godot3.test.ts runs both builds.
import { type Color, NetNode, networked, rpc, Vector2 } from "starwire";

export type PlayerInfo = { name: string; favorite_color: Color };

/** The lobby autoload at /root/lobby. */
export class Godot3Lobby extends NetNode {
  /** Player info, associate ID to data. */
  readonly player_info = new Map<number, PlayerInfo>();
  /** Info we send to other players. */
  readonly my_info: PlayerInfo;
  readonly players_done: number[] = [];
  paused = false;

  constructor(my_info: PlayerInfo) {
    super("lobby");
    this.my_info = my_info;
  }

  /** Godot's `_ready`: connect the tree's signals (call it once the node is in the tree). */
  _ready(): void {
    this.multiplayer.on("peerConnected", (id) => this._player_connected(id));
    this.multiplayer.on("peerDisconnected", (id) => this._player_disconnected(id));
  }

  _player_connected(id: number): void {
    // Called on both clients and server when a peer connects. Send my info to it.
    this.rpcId(id, "register_player", this.my_info);
  }

  _player_disconnected(id: number): void {
    this.player_info.delete(id); // Erase player from info.
  }

  @rpc("remote")
  register_player(info: PlayerInfo): void {
    // Get the id of the RPC sender.
    const id = this.multiplayer.remoteSenderId;
    // Store the info
    this.player_info.set(id, info);
  }

  /** Server: the docs' "Starting the game": load here, then have every peer pre-configure. */
  start_game(): void {
    this._load_world();
    this.rpc("pre_configure_game");
  }

  @rpc("remote")
  pre_configure_game(): void {
    this.paused = true; // Pre-pause
    this._load_world();
    // Tell server (remember, server is always ID=1) that this peer is done pre-configuring.
    this.rpcId(1, "done_preconfiguring");
  }

  @rpc("remote")
  done_preconfiguring(): void {
    const who = this.multiplayer.remoteSenderId;
    // The docs assert these; a port refuses instead.
    if (!this.multiplayer.isServer() || !this.player_info.has(who) || this.players_done.includes(who)) return;
    this.players_done.push(who);
    if (this.players_done.length === this.player_info.size) this.rpc("post_configure_game");
  }

  @rpc("remote")
  post_configure_game(): void {
    // Only the server is allowed to tell a client to unpause
    if (this.multiplayer.remoteSenderId === 1) this.paused = false; // Game starts now!
  }

  /** Load world, my player and the other characters, each mastered by its peer. */
  _load_world(): void {
    const world = this.multiplayer.root.addChild(new NetNode("world"));
    const players = world.addChild(new NetNode("players"));
    for (const id of [this.multiplayer.uniqueId, ...this.player_info.keys()]) {
      const player = players.addChild(new Godot3Player(String(id)));
      player.setMultiplayerAuthority(id); // Godot 3: set_network_master(id)
    }
  }

  /** Never called: the calls the compiler refuses with either decorator setting. */
  _refused(): void {
    // @ts-expect-error a typo in the method name
    this.rpcId(1, "register_playr", this.my_info);
    // @ts-expect-error wrong argument type
    this.rpcId(1, "register_player", "Johnson Magenta");
    // @ts-expect-error too many arguments
    this.rpc("pre_configure_game", 1);
    // @ts-expect-error not a Godot keyword
    this.rpcConfig("register_player", "remote_sync");
  }
}

/** A player as in the docs' "Synchronizing the game" and the bomber demo. */
export class Godot3Player extends NetNode {
  @networked("puppet")
  puppet_pos = new Vector2();

  position = new Vector2();
  stunned = false;
  readonly exploded_by: number[] = [];

  /** The master moves its player and tells the puppets where it is. */
  move_to(position: Vector2): void {
    if (!this.isMultiplayerAuthority()) return;
    this.position = position;
    this.rset("puppet_pos", position);
  }

  @rpc("master")
  exploded(by_who: number): void {
    this.exploded_by.push(by_who);
    if (this.stunned) return; // Already stunned
    this.rpc("stun"); // Stun myself on the puppets
    this.stun(); // and here: a puppet function does not run on the master
  }

  @rpc("puppet")
  stun(): void {
    this.stunned = true;
  }
}
