/** The host is always peer 1 (Godot's rule); clients get ids from 2 up, handed out by the signaling server. */
export const HOST_PEER_ID = 1;
/** Peer ids are positive 32-bit signed integers (a negative target means "everyone but"). */
export const MAX_PEER_ID = 2 ** 31 - 1;
