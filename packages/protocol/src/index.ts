/**
 * What the Starwire SDK and the signaling server must agree on, and nothing else: peer ids, room
 * codes and the signaling protocol. No runtime dependencies, so the server does not pull in the SDK.
 */
export * from "./peer-ids.js";
export * from "./room-code.js";
export * from "./signaling.js";
