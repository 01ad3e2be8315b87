// The environment of a signaling server under load: on 127.0.0.1, silent, with its limits out of
// the way. The load generators are one address on purpose; per-address and per-socket limits are
// not what the signaling benchmarks measure.
export function unlimitedSignalingEnv(port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    MAX_ROOMS: "100000",
    EVENTS_PER_SECOND: "100000",
    EVENT_BURST: "100000",
    MAX_SOCKETS_PER_ADDRESS: "0",
    ROOM_CREATES_PER_MINUTE: "0",
    JOIN_ATTEMPTS_PER_MINUTE: "0",
    FAILED_JOINS_PER_MINUTE: "0",
    MAX_ROOMS_PER_ADDRESS: "0",
    IDLE_SOCKET_TIMEOUT_MS: "0",
  };
}
