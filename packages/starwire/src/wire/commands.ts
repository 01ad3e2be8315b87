/**
 * Every value a packet's first byte (and a system packet's second byte) can take, in one place
 * (WIRE.md). The low three bits are the command; the RPC layer uses bit 3 as a flag.
 */
export const Command = {
  /** A call of an @rpc method: see rpc-packet.ts. */
  RPC: 0,
  /** A remote set of a @networked member: same layout as RPC. */
  RSET: 1,
  /** A receiver telling a sender that it cached one of the sender's node paths. */
  CONFIRM_PATH: 2,
  /** Raw bytes from `multiplayer.sendBytes`: `[RAW, ...payload]`. */
  RAW: 3,
  /** Peer bookkeeping and relay, see system-packet.ts: `[SYS, subcommand, ...]`. */
  SYS: 4,
  /**
   * Command 7 is a family: bits 3–7 name one of 32 extended commands (`Extended`), so subsystems
   * added after the first five commands still fit the first byte. Values 5 and 6 are the
   * transport's (`TransportCommand`).
   */
  EXTENDED: 7,
} as const;

/** Bits 3–7 of an EXTENDED packet's first byte: `[7 | value << 3, …]`. */
export const Extended = {
  /** Scene replication: a spawner's authority created a node. */
  SPAWN: 0,
  /** Scene replication: a spawned node went away. */
  DESPAWN: 1,
  /** Scene replication: synchronized state, unreliable, stamped with a host tick. */
  SYNC: 2,
  /** Scene replication: changed on-change properties, reliable. */
  DELTA: 3,
  /** Scene replication: the newest SYNC tick a receiver holds (the sender's delta baseline). */
  SYNC_ACK: 4,
  /** Network clock: a client asks the host for its time. */
  CLOCK_PING: 5,
  /** Network clock: the host's answer. */
  CLOCK_PONG: 6,
  /** Path cache: a sender teaches a receiver one of its path ids (path-packet.ts). */
  PATH_ANNOUNCE: 7,
  /** Path cache: a sender released an id (its node left the tree); the receiver must forget it. */
  PATH_FORGET: 8,
  /** Path cache: the receiver's answer to PATH_FORGET: the id may be reused. */
  PATH_FORGOTTEN: 9,
  /**
   * Scene replication: the host tells a synchronizer's owning client whether its copy lets another
   * peer see it (so the client's SYNC stops naming it there, see sync-packet.ts).
   */
  SYNC_VISIBILITY: 10,
} as const;

/** The first byte of an EXTENDED packet. */
export function extendedHead(extended: number): number {
  return Command.EXTENDED | (extended << 3);
}

/**
 * What a packet is dispatched by (and what `Subsystem.commands` lists): its command, or for the
 * EXTENDED family its whole first byte.
 */
export function dispatchKey(head: number): number {
  const command = head & COMMAND_MASK;
  return command === Command.EXTENDED ? head : command;
}

export const COMMAND_MASK = 0b111;

/** Bit 3 of an RPC or RSET: the node's path is inline. */
export const INLINE_FLAG = 0b1000;

/** Whether a packet's first byte sets bits its command does not use (WIRE.md: then it is rejected). */
export function hasUnknownFlags(head: number): boolean {
  const command = head & COMMAND_MASK;
  if (command === Command.EXTENDED) return false; // its bits 3–7 are the extended command
  const allowed =
    command === Command.RPC || command === Command.RSET ? COMMAND_MASK | INLINE_FLAG : COMMAND_MASK;
  return (head & ~allowed) !== 0;
}

/** The second byte of a SYS packet (system-packet.ts has the layouts). */
export const SystemCommand = {
  ADD_PEER: 0,
  DEL_PEER: 1,
  RELAY: 2,
  AUTH: 3,
  PEER_RECONNECTING: 4,
  PEER_RECONNECTED: 5,
  TICK_RATE: 6,
} as const;

/** `[SYS, RELAY, peer:i32le, ...packet]`: where the peer id sits and where the packet starts. */
export const RELAY_PEER_OFFSET = 2;
export const RELAY_HEADER_BYTES = 6;

/**
 * First bytes that belong to the WebRTC transport and never reach the MultiplayerAPI: a big
 * message's pieces (fragments.ts; the further piece is 5 with bit 3 set) and link frames
 * (link-frames.ts).
 */
export const TransportCommand = {
  FRAGMENT_FIRST: 0x05,
  FRAGMENT_MORE: 0x0d,
  LINK_FRAME: 0x06,
} as const;
