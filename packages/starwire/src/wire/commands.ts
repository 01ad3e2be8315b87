/**
 * The first byte of every packet between MultiplayerAPIs names what follows (WIRE.md).
 * The low three bits are the command; the RPC layer uses the high bits for its own flags.
 */
export const Command = {
  /** Raw bytes from `multiplayer.sendBytes`: `[RAW, ...payload]`. */
  RAW: 3,
  /** Peer bookkeeping and relay, see system-messages.ts: `[SYS, subcommand, ...]`. */
  SYS: 4,
} as const;

export const COMMAND_MASK = 0b111;
