/**
 * The signaling protocol and the constants the SDK shares with the signaling server live in the
 * leaf package `starwire-protocol` (packages/protocol), which the server depends on instead of the
 * whole SDK. Re-exported here for the SDK's own modules and for `starwire/signaling-protocol`.
 */
export * from "starwire-protocol";
