/**
 * `starwire/state-codec`: SYNC's state codec and the tick histories both sides keep (WIRE.md,
 * "Scene replication: SYNC"), for tools and benchmarks that encode states without a game.
 * Games do not need it: MultiplayerSynchronizer uses it.
 */
export {
  captureState,
  type DecodedSync,
  decodeSync,
  type EntityState,
  encodeSync,
  MAX_SYNC_PACKET_BYTES,
  MAX_SYNC_PARTS,
  type PropertySpec,
  type PropertyState,
  readSyncHeader,
  type SyncDecodeResult,
  type SyncEntry,
  type SyncLookup,
  type SyncRejectReason,
  type SyncTick,
  sameState,
  stateValues,
} from "./replication/state-codec.js";
export {
  type Baseline,
  DEFAULT_HISTORY_TICKS,
  ReceivedStates,
  SentStates,
} from "./replication/state-history.js";
