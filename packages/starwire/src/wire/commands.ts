/**
 * The first byte of every packet between MultiplayerAPIs names what follows (WIRE.md).
 * The low three bits are the command; the RPC layer uses bit 3 as a flag.
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
  /** Peer bookkeeping and relay, see system-messages.ts: `[SYS, subcommand, ...]`. */
  SYS: 4,
} as const;

export const COMMAND_MASK = 0b111;

/** Bit 3 of an RPC or RSET: the node's path is inline. */
export const INLINE_FLAG = 0b1000;

/** Whether a packet's first byte sets bits its command does not use (WIRE.md: then it is rejected). */
export function hasUnknownFlags(head: number): boolean {
  const command = head & COMMAND_MASK;
  const allowed =
    command === Command.RPC || command === Command.RSET ? COMMAND_MASK | INLINE_FLAG : COMMAND_MASK;
  return (head & ~allowed) !== 0;
}
