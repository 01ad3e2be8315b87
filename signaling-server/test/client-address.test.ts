import { describe, expect, it } from "vitest";
import { addressKey, clientAddress, UNKNOWN_ADDRESS } from "../src/client-address.js";

describe("addressKey", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["::FFFF:127.0.0.1", "127.0.0.1"],
    ["::ffff:cb00:7107", "203.0.113.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:0DB8:0001:0002:ffff:0:0:1", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["2001:db8:0:0:1::", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["::", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["64:ff9b::192.0.2.33", "64:ff9b:0:0::/64"],
    ["", UNKNOWN_ADDRESS],
    ["not an address", UNKNOWN_ADDRESS],
  ])("%s counts as %s", (ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });

  it("puts every address of one /64 under one key, and neighbouring /64s apart", () => {
    expect(addressKey("2001:db8:aa:bb::1")).toBe(addressKey("2001:db8:aa:bb:ffff:ffff:ffff:ffff"));
    expect(addressKey("2001:db8:aa:bb::1")).not.toBe(addressKey("2001:db8:aa:bc::1"));
  });
});

describe("clientAddress", () => {
  const xff = (value: string | string[]) => ({ "x-forwarded-for": value });

  it("ignores X-Forwarded-For without trusted proxies: anyone can write it", () => {
    expect(clientAddress("198.51.100.1", xff("203.0.113.7"), 0)).toBe("198.51.100.1");
    expect(clientAddress("::ffff:198.51.100.1", {}, 0)).toBe("198.51.100.1");
    expect(clientAddress(undefined, {}, 0)).toBe(UNKNOWN_ADDRESS);
  });

  it("behind one proxy, takes the entry that proxy appended, not what the client claimed", () => {
    expect(clientAddress("10.0.0.2", xff("203.0.113.7"), 1)).toBe("203.0.113.7");
    // The client sent "X-Forwarded-For: 1.2.3.4" itself; the proxy appended the real address.
    expect(clientAddress("10.0.0.2", xff("1.2.3.4, 203.0.113.7"), 1)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", xff(["1.2.3.4", "203.0.113.7"]), 1)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", xff("2001:db8:5:6::9"), 1)).toBe("2001:db8:5:6::/64");
  });

  it("behind two proxies, goes two entries back", () => {
    expect(clientAddress("10.0.0.2", xff("1.2.3.4, 203.0.113.7, 10.0.0.1"), 2)).toBe("203.0.113.7");
  });

  it("with fewer entries than proxies, takes the leftmost", () => {
    expect(clientAddress("10.0.0.2", xff("203.0.113.7"), 3)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", {}, 2)).toBe("10.0.0.2");
  });

  it("strips ports some proxies add", () => {
    expect(clientAddress("10.0.0.2", xff("203.0.113.7:51234"), 1)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.2", xff("[2001:db8:5:6::9]:443"), 1)).toBe("2001:db8:5:6::/64");
  });

  it("falls back to the socket's address when the trusted entry is not an IP", () => {
    expect(clientAddress("10.0.0.2", xff("unknown"), 1)).toBe("10.0.0.2");
    expect(clientAddress("10.0.0.2", xff("203.0.113.7, _hidden"), 1)).toBe("10.0.0.2");
    expect(clientAddress("10.0.0.2", xff(" , ,"), 1)).toBe("10.0.0.2");
  });
});
