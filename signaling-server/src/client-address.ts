import type { IncomingHttpHeaders } from "node:http";
import { isIPv4, isIPv6 } from "node:net";

/** What the per-address limits key on when there is no usable address (a socket already closed). */
export const UNKNOWN_ADDRESS = "unknown";

/**
 * The client's address as the per-address limits see it.
 *
 * With `trustedProxies` 0 it is the socket's remote address and X-Forwarded-For is ignored: any
 * client can write that header. Behind N reverse proxies, each appends the address it received
 * the request from, so the entry N places from the right was written by our outermost proxy and
 * is the client; entries further left are the client's own claims and are never used.
 *
 * IPv6 addresses count per /64: one home or phone usually gets a whole /64, so limits per single
 * IPv6 address could be dodged by hopping through it. IPv4-mapped IPv6 is read as IPv4.
 */
export function clientAddress(
  remoteAddress: string | undefined,
  headers: IncomingHttpHeaders,
  trustedProxies: number,
): string {
  const direct = remoteAddress ?? "";
  if (trustedProxies === 0) return addressKey(direct);
  // Node joins repeated X-Forwarded-For headers with ", "; an array only comes from hand-built headers.
  const header = headers["x-forwarded-for"];
  const forwarded = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const chain = [...forwarded, direct];
  // Fewer entries than proxies means the request skipped a proxy; the leftmost is the best we have.
  const entry = chain[Math.max(0, chain.length - 1 - trustedProxies)]!;
  const ip = withoutPort(entry);
  // Our own proxy wrote this entry, so garbage means a misconfigured proxy: fall back to the socket's
  // address, which groups such clients together (stricter, never looser).
  return addressKey(ip !== undefined ? ip : direct);
}

/** "1.2.3.4:5678" and "[2001:db8::1]:443" (some proxies add ports) to the bare IP; undefined if not an IP. */
function withoutPort(entry: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  const candidate = bracketed?.[1] ?? /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry)?.[1] ?? entry;
  return isIPv4(candidate) || isIPv6(candidate) ? candidate : undefined;
}

/** The key an IP is counted under: IPv4 as is, IPv6 as its /64 prefix. */
export function addressKey(ip: string): string {
  if (isIPv4(ip)) return ip;
  // Every non-address shares one key: stricter than letting each count on its own.
  if (!isIPv6(ip)) return UNKNOWN_ADDRESS;
  const groups = ipv6Groups(ip);
  if (groups === undefined) return UNKNOWN_ADDRESS;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
}

/** The eight 16-bit groups of an address that `isIPv6` accepted. */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.split("%")[0]!; // a zone id ("fe80::1%eth0") names an interface, not a host
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined) =>
    part === undefined || part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16));
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const zeros = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<number>(Math.max(0, zeros)).fill(0), ...tail];
  if (groups.length !== 8 || groups.some((group) => !Number.isInteger(group))) return undefined;
  return groups;
}
