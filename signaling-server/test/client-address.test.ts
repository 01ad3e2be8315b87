import { describe, expect, it } from "vitest";
import {
  addressKey,
  clientAddress,
  ProxyAddresses,
  parseProxyAddress,
  UNKNOWN_ADDRESS,
} from "../src/client-address.js";

/** The default TRUSTED_PROXY_ADDRESSES, and a proxy elsewhere on the network. */
const LOOPBACK = new ProxyAddresses(["127.0.0.1", "::1"]);
const PROXY = new ProxyAddresses(["10.0.0.2"]);

describe("addressKey", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["::FFFF:127.0.0.1", "127.0.0.1"],
    ["::ffff:cb00:7107", "203.0.113.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:0::/56"],
    ["2001:0DB8:0001:02ff:ffff:0:0:1", "2001:db8:1:200::/56"],
    ["2001:db8:1:abcd::1", "2001:db8:1:ab00::/56"],
    ["2001:db8::1", "2001:db8:0:0::/56"],
    ["2001:db8:0:0:1::", "2001:db8:0:0::/56"],
    ["::1", "0:0:0:0::/56"],
    ["::", "0:0:0:0::/56"],
    ["fe80::1%eth0", "fe80:0:0:0::/56"],
    ["64:ff9b::192.0.2.33", "64:ff9b:0:0::/56"],
    ["", UNKNOWN_ADDRESS],
    ["not an address", UNKNOWN_ADDRESS],
  ])("%s counts as %s", (ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });

  it("puts all 256 /64s of one /56 under one key, and neighbouring /56s apart", () => {
    const keys = new Set(
      Array.from({ length: 256 }, (_, i) => addressKey(`2001:db8:aa:${(0xbb00 + i).toString(16)}::${i + 1}`)),
    );
    expect([...keys]).toEqual(["2001:db8:aa:bb00::/56"]);
    expect(addressKey("2001:db8:aa:bb00::1")).toBe(addressKey("2001:db8:aa:bbff:ffff:ffff:ffff:ffff"));
    expect(addressKey("2001:db8:aa:bb00::1")).not.toBe(addressKey("2001:db8:aa:bc00::1"));
    expect(addressKey("2001:db8:aa:bb00::1")).not.toBe(addressKey("2001:db8:aa:baff::1"));
  });
});

describe("clientAddress", () => {
  const xff = (value: string | string[]) => ({ "x-forwarded-for": value });

  it("ignores X-Forwarded-For without trusted proxies: anyone can write it", () => {
    expect(clientAddress("198.51.100.1", xff("203.0.113.7"), 0, PROXY)).toBe("198.51.100.1");
    expect(clientAddress("10.0.0.2", xff("203.0.113.7"), 0, PROXY)).toBe("10.0.0.2");
    expect(clientAddress("::ffff:198.51.100.1", {}, 0, PROXY)).toBe("198.51.100.1");
    expect(clientAddress(undefined, {}, 0, PROXY)).toBe(UNKNOWN_ADDRESS);
  });

  it("with trusted proxies, ignores X-Forwarded-For from a connection that is not one of them", () => {
    // The server is also reachable directly: a client forges the header to pick its address.
    expect(clientAddress("198.51.100.1", xff("203.0.113.7"), 1, PROXY)).toBe("198.51.100.1");
    expect(clientAddress("198.51.100.1", xff("203.0.113.7, 203.0.113.8"), 2, PROXY)).toBe("198.51.100.1");
    expect(clientAddress("2001:db8:1:2::9", xff("203.0.113.7"), 1, LOOPBACK)).toBe("2001:db8:1:0::/56");
    expect(clientAddress(undefined, xff("203.0.113.7"), 1, LOOPBACK)).toBe(UNKNOWN_ADDRESS);
    // The default list believes loopback proxies only, IPv4-mapped or not.
    expect(clientAddress("127.0.0.1", xff("203.0.113.7"), 1, LOOPBACK)).toBe("203.0.113.7");
    expect(clientAddress("::ffff:127.0.0.1", xff("203.0.113.7"), 1, LOOPBACK)).toBe("203.0.113.7");
    expect(clientAddress("::1", xff("203.0.113.7"), 1, LOOPBACK)).toBe("203.0.113.7");
    expect(clientAddress("127.0.0.2", xff("203.0.113.7"), 1, LOOPBACK)).toBe("127.0.0.2");
  });

  it("behind one proxy, takes the entry that proxy appended, not what the client claimed", () => {
    expect(clientAddress("10.0.0.2", xff("203.0.113.7"), 1, PROXY)).toBe("203.0.113.7");
    // The client sent "X-Forwarded-For: 1.2.3.4" itself; the proxy appended the real address.
    expect(clientAddress("10.0.0.2", xff("1.2.3.4, 203.0.113.7"), 1, PROXY)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", xff(["1.2.3.4", "203.0.113.7"]), 1, PROXY)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", xff("2001:db8:5:6::9"), 1, PROXY)).toBe("2001:db8:5:0::/56");
  });

  it("behind two proxies, goes two entries back", () => {
    expect(clientAddress("10.0.0.2", xff("1.2.3.4, 203.0.113.7, 10.0.0.1"), 2, PROXY)).toBe("203.0.113.7");
  });

  it("with fewer entries than proxies, takes the leftmost", () => {
    expect(clientAddress("10.0.0.2", xff("203.0.113.7"), 3, PROXY)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", {}, 2, PROXY)).toBe("10.0.0.2");
  });

  it("strips ports some proxies add", () => {
    expect(clientAddress("10.0.0.2", xff("203.0.113.7:51234"), 1, PROXY)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", xff("[2001:db8:5:6::9]:443"), 1, PROXY)).toBe("2001:db8:5:0::/56");
  });

  it("falls back to the socket's address when the trusted entry is not an IP", () => {
    expect(clientAddress("10.0.0.2", xff("unknown"), 1, PROXY)).toBe("10.0.0.2");
    expect(clientAddress("10.0.0.2", xff("203.0.113.7, _hidden"), 1, PROXY)).toBe("10.0.0.2");
    expect(clientAddress("10.0.0.2", xff(" , ,"), 1, PROXY)).toBe("10.0.0.2");
  });
});

describe("ProxyAddresses (TRUSTED_PROXY_ADDRESSES)", () => {
  it("matches single addresses and CIDR subnets, IPv4 and IPv6", () => {
    const proxies = new ProxyAddresses(["203.0.113.5", "10.0.0.0/8", "fd00::/8", "2001:db8::7"]);
    for (const inside of ["203.0.113.5", "::ffff:203.0.113.5", "10.1.2.3", "fd12::1", "2001:db8::7"]) {
      expect(proxies.has(inside), inside).toBe(true);
    }
    for (const outside of ["203.0.113.6", "11.0.0.1", "fe80::1", "2001:db8::8", "", undefined, "x"]) {
      expect(proxies.has(outside), String(outside)).toBe(false);
    }
  });

  it("parses only IPs and CIDR subnets", () => {
    expect(parseProxyAddress("10.0.0.0/8")).toEqual({ ip: "10.0.0.0", prefix: 8, family: "ipv4" });
    expect(parseProxyAddress("::1")).toEqual({ ip: "::1", prefix: undefined, family: "ipv6" });
    for (const bad of ["", "localhost", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8/8", "1.2.3.4/x"]) {
      expect(parseProxyAddress(bad), bad).toBeUndefined();
    }
    expect(() => new ProxyAddresses(["nope"])).toThrow(/nope/);
  });
});
