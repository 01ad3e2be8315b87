import { describe, expect, it } from "vitest";
import { type AddressLimitSettings, AddressLimits } from "../src/address-limits.js";

const settings: AddressLimitSettings = {
  maxSocketsPerAddress: 2,
  roomCreatesPerMinute: 3,
  joinAttemptsPerMinute: 4,
  failedJoinsPerMinute: 5,
  maxRoomsPerAddress: 2,
};

describe("AddressLimits", () => {
  it("counts live rooms per address up to the cap, and forgets an address at zero", () => {
    const limits = new AddressLimits(settings);
    expect(limits.mayOpenRoom("1.1.1.1")).toBe(true);
    limits.openRoom("1.1.1.1");
    limits.openRoom("1.1.1.1");
    expect(limits.mayOpenRoom("1.1.1.1")).toBe(false);
    expect(limits.mayOpenRoom("2.2.2.2")).toBe(true);
    limits.closeRoom("1.1.1.1");
    expect(limits.mayOpenRoom("1.1.1.1")).toBe(true);
    limits.closeRoom("1.1.1.1");
    limits.closeRoom("3.3.3.3");
    expect(limits.trackedAddresses().rooms).toBe(0);
    const off = new AddressLimits({ ...settings, maxRoomsPerAddress: 0 });
    for (let i = 0; i < 100; i++) off.openRoom("1.1.1.1");
    expect(off.mayOpenRoom("1.1.1.1")).toBe(true);
  });

  it("counts open sockets per address up to the cap, and forgets an address at zero", () => {
    const limits = new AddressLimits(settings);
    expect(limits.openSocket("1.1.1.1")).toBe(true);
    expect(limits.openSocket("1.1.1.1")).toBe(true);
    expect(limits.openSocket("1.1.1.1")).toBe(false);
    expect(limits.openSocket("2.2.2.2")).toBe(true);
    limits.closeSocket("1.1.1.1");
    expect(limits.openSocket("1.1.1.1")).toBe(true);
    expect(limits.trackedAddresses().sockets).toBe(2);
    for (let i = 0; i < 2; i++) limits.closeSocket("1.1.1.1");
    limits.closeSocket("2.2.2.2");
    // A close the count never saw (a refused socket) changes nothing.
    limits.closeSocket("3.3.3.3");
    expect(limits.trackedAddresses()).toEqual({
      sockets: 0,
      rooms: 0,
      roomCreates: 0,
      joinAttempts: 0,
      failedJoins: 0,
    });
  });

  it("allows any number of sockets with the cap at 0", () => {
    const limits = new AddressLimits({ ...settings, maxSocketsPerAddress: 0 });
    for (let i = 0; i < 1000; i++) expect(limits.openSocket("1.1.1.1")).toBe(true);
  });

  it("keeps one rate limit per kind, each with its own rate", () => {
    const limits = new AddressLimits(settings, () => 0);
    const count = (take: () => boolean) => Array.from({ length: 10 }, take).filter(Boolean).length;
    expect(count(() => limits.roomCreates.take("a"))).toBe(3);
    expect(count(() => limits.joinAttempts.take("a"))).toBe(4);
    expect(count(() => limits.failedJoins.take("a"))).toBe(5);
    expect(limits.trackedAddresses()).toEqual({
      sockets: 0,
      rooms: 0,
      roomCreates: 1,
      joinAttempts: 1,
      failedJoins: 1,
    });
  });
});
