/** A packet from the network that was dropped instead of acted on, and why. Nothing in it ran. */
export interface Rejection {
  /** The peer it came from (the true sender; relays are resolved). */
  from: number;
  reason:
    | "malformed"
    | "forbidden"
    | "unknown_target"
    | "unknown_node"
    | "unknown_method"
    | "config_mismatch"
    | "invalid_arguments"
    | "rate_limited"
    | "unauthenticated"
    /** Scene replication: a spawn of an unknown class, a bad or taken name, or over the spawn limit. */
    | "spawn_refused";
  message: string;
  /** Path of the node it addressed, when known. */
  node?: string;
  /** Method or member it addressed, when known. */
  method?: string;
}
