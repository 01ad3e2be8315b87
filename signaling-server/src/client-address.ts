import type { IncomingHttpHeaders } from "node:http";
import { BlockList, isIPv4, isIPv6 } from "node:net";

/** What the per-address limits key on when there is no usable address (a socket already closed). */
export const UNKNOWN_ADDRESS = "unknown";

/** The prefix length IPv6 addresses are counted under (see `addressKey`). */
export const IPV6_PREFIX_BITS = 56;

/**
 * The addresses reverse proxies connect from (TRUSTED_PROXY_ADDRESSES): single IPs or CIDR
 * subnets, IPv4 or IPv6. Only a connection from one of them may tell us, in X-Forwarded-For, who
 * the client is; anyone else who sends that header is a client making up an address.
 */
export class ProxyAddresses {
  readonly #list = new BlockList();

  /** `entries` as `parseProxyAddress` accepts them; config.ts has checked each one. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const parsed = parseProxyAddress(entry);
      if (parsed === undefined) throw new Error(`not an IP address or CIDR subnet: "${entry}"`);
      if (parsed.prefix === undefined) this.#list.addAddress(parsed.ip, parsed.family);
      else this.#list.addSubnet(parsed.ip, parsed.prefix, parsed.family);
    }
  }

  /** Whether a socket's remote address is one of the proxies' (IPv4-mapped IPv6 counts as IPv4). */
  has(remoteAddress: string | undefined): boolean {
    const ip = (remoteAddress ?? "").split("%")[0]!;
    if (isIPv4(ip)) return this.#list.check(ip, "ipv4");
    return isIPv6(ip) && this.#list.check(ip, "ipv6");
  }
}

/** "203.0.113.7", "10.0.0.0/8", "::1", "fd00::/8"; undefined for anything else. */
export function parseProxyAddress(
  entry: string,
): { ip: string; prefix: number | undefined; family: "ipv4" | "ipv6" } | undefined {
  const [ip = "", prefixText, ...rest] = entry.trim().split("/");
  if (rest.length > 0) return undefined;
  const family = isIPv4(ip) ? "ipv4" : isIPv6(ip) && !ip.includes("%") ? "ipv6" : undefined;
  if (family === undefined) return undefined;
  if (prefixText === undefined) return { ip, prefix: undefined, family };
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= (family === "ipv4" ? 32 : 128))) return undefined;
  return { ip, prefix, family };
}

/**
 * The client's address as the per-address limits see it.
 *
 * With `trustedProxies` 0 it is the socket's remote address and X-Forwarded-For is ignored: any
 * client can write that header. Behind N reverse proxies, each appends the address it received
 * the request from, so the entry N places from the right was written by our outermost proxy and
 * is the client; entries further left are the client's own claims and are never used. The header
 * is believed only on a connection from one of `proxies` (the proxy next to us): a client that
 * reaches the server directly (say, on 0.0.0.0:8787 next to the proxy's port) and writes the
 * header itself is counted under its socket's address.
 *
 * IPv6 addresses count per /56 (`addressKey`); IPv4-mapped IPv6 is read as IPv4.
 */
export function clientAddress(
  remoteAddress: string | undefined,
  headers: IncomingHttpHeaders,
  trustedProxies: number,
  proxies: ProxyAddresses,
): string {
  const direct = remoteAddress ?? "";
  if (trustedProxies === 0 || !proxies.has(direct)) return addressKey(direct);
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

/**
 * The key an IP is counted under: IPv4 as is, IPv6 as its /56 prefix.
 *
 * Why /56: an IPv6 home or phone gets at least a /64 and can pick any address in it, so limits per
 * address or per /64 are dodged by hopping (many ISPs delegate a /56 to each home, 256 /64s). A
 * /48 would also catch the rarer /48 customers, but ISPs that hand out /56s carve them from
 * shared /48s, so counting per /48 would put 256 unrelated households under one limit. A /48
 * holder therefore gets 256 times the limits (still capped by MAX_ROOMS and the other global
 * limits); see signaling-server/README.md, "Per-address limits".
 */
export function addressKey(ip: string): string {
  if (isIPv4(ip)) return ip;
  // Every non-address shares one key: stricter than letting each count on its own.
  if (!isIPv6(ip)) return UNKNOWN_ADDRESS;
  const groups = ipv6Groups(ip);
  if (groups === undefined) return UNKNOWN_ADDRESS;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  }
  const prefix = [groups[0]!, groups[1]!, groups[2]!, groups[3]! & 0xff00];
  return `${prefix.map((group) => group.toString(16)).join(":")}::/${IPV6_PREFIX_BITS}`;
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
