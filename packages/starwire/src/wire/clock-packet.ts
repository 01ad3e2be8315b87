import { Extended, extendedHead } from "./commands.js";
import { readVarint, varintLength, writeVarint } from "./varint.js";

/**
 * The network clock's packets (WIRE.md, "Network clock"), between a client and the host only,
 * over the unreliable channel:
 *
 *   CLOCK_PING  client → host  [0x2F][sent f64le][rtt µs varint, optional]
 *   CLOCK_PONG  host → client  [0x37][sent f64le, echoed][host time f64le]
 *
 * Times are milliseconds: `sent` on the client's own clock (the host only echoes it), the host's
 * time since its transport was set. `rtt` is the client's current round trip to the host, which
 * the host keeps (the lobby's pings); absent until the client measured one.
 */
export const CLOCK_PING_HEAD = extendedHead(Extended.CLOCK_PING);
export const CLOCK_PONG_HEAD = extendedHead(Extended.CLOCK_PONG);

/** Larger times are absurd (2⁴⁰ ms is 35 years): no honest peer's monotonic clock reaches them. */
export const MAX_CLOCK_TIME_MS = 2 ** 40;
/** A reported round trip above a minute is absurd. */
export const MAX_REPORTED_RTT_US = 60_000_000;

const TIME_BYTES = 8;
const PING_BYTES = 1 + TIME_BYTES;
const PONG_BYTES = 1 + 2 * TIME_BYTES;

export interface ClockPing {
  /** The client's clock when it sent the ping, ms. */
  sent: number;
  /** The client's round trip to the host in whole microseconds; null before it measured one. */
  rttUs: number | null;
}

export interface ClockPong {
  /** The `sent` of the ping this answers. */
  sent: number;
  /** The host's time when it answered, ms. */
  hostTime: number;
}

export function encodeClockPing(ping: ClockPing): Uint8Array {
  const bytes = new Uint8Array(PING_BYTES + (ping.rttUs === null ? 0 : varintLength(ping.rttUs)));
  bytes[0] = CLOCK_PING_HEAD;
  new DataView(bytes.buffer).setFloat64(1, ping.sent, true);
  if (ping.rttUs !== null) writeVarint(bytes, PING_BYTES, ping.rttUs);
  return bytes;
}

export function encodeClockPong(pong: ClockPong): Uint8Array {
  const bytes = new Uint8Array(PONG_BYTES);
  bytes[0] = CLOCK_PONG_HEAD;
  const view = new DataView(bytes.buffer);
  view.setFloat64(1, pong.sent, true);
  view.setFloat64(1 + TIME_BYTES, pong.hostTime, true);
  return bytes;
}

/** Decodes a CLOCK_PING; a string says what is malformed (lengths, or times no clock can show). */
export function decodeClockPing(bytes: Uint8Array): ClockPing | string {
  if (bytes.length < PING_BYTES) return `clock ping of ${bytes.length} bytes`;
  const sent = readTime(bytes, 1);
  if (sent === null) return "clock ping with an absurd send time";
  if (bytes.length === PING_BYTES) return { sent, rttUs: null };
  const rtt = readVarint(bytes, PING_BYTES);
  if (!rtt || rtt[1] !== bytes.length) return "clock ping with a malformed round trip";
  if (rtt[0] > MAX_REPORTED_RTT_US) return `clock ping reports an absurd round trip (${rtt[0]} µs)`;
  return { sent, rttUs: rtt[0] };
}

/** Decodes a CLOCK_PONG; a string says what is malformed. */
export function decodeClockPong(bytes: Uint8Array): ClockPong | string {
  if (bytes.length !== PONG_BYTES) return `clock pong of ${bytes.length} bytes`;
  const sent = readTime(bytes, 1);
  const hostTime = readTime(bytes, 1 + TIME_BYTES);
  if (sent === null || hostTime === null) return "clock pong with an absurd time";
  return { sent, hostTime };
}

/** A time in ms, or null when it is not a finite number from 0 to MAX_CLOCK_TIME_MS. */
function readTime(bytes: Uint8Array, offset: number): number | null {
  const time = new DataView(bytes.buffer, bytes.byteOffset + offset, TIME_BYTES).getFloat64(0, true);
  return time >= 0 && time <= MAX_CLOCK_TIME_MS ? time : null; // false for NaN too
}
