import { describe, expect, it } from "vitest";
import { decodeSyncValues, encodeSyncValues } from "../src/replication/sync-values.js";
import { decodeDespawn, decodeSpawn, encodeSpawn } from "../src/wire/spawn-packet.js";
import { decodeDelta, decodeSyncAck, encodeDelta, encodeSyncAck } from "../src/wire/sync-packet.js";

const spawn = encodeSpawn({
  spawner: { id: 0, path: "/root/s" },
  nodeId: 1,
  name: "p1",
  className: "Player",
  data: null,
  syncs: [{ id: 2, path: "sync", state: encodeSyncValues([[0, 3]]) }],
});

describe("scene replication packets", () => {
  it("say what is wrong with every truncation of a SPAWN instead of throwing", () => {
    for (let length = 1; length < spawn.length; length++) {
      expect(typeof decodeSpawn(spawn.subarray(0, length)), `${length} bytes`).toBe("string");
    }
    expect(decodeSpawn(Uint8Array.from([...spawn, 0]))).toBe("trailing bytes");
  });

  it("refuse more synchronizers than a spawn may carry, and paths that are not UTF-8", () => {
    expect(decodeSpawn(Uint8Array.of(0x07, 0, 0, 1, 1, 0x61, 1, 0x41, 65))).toMatch(/more than 64/);
    expect(decodeSpawn(Uint8Array.of(0x07, 0, 1, 0xff))).toMatch(/UTF-8/);
  });

  it("decode DELTA, DESPAWN and SYNC_ACK only when whole (SYNC: state-codec.test.ts)", () => {
    const delta = encodeDelta({
      tick: 5,
      entries: [{ ref: { id: 1, path: "/root/a" }, state: Uint8Array.of(0) }],
    });
    expect(typeof decodeDelta(delta.subarray(0, delta.length - 1))).toBe("string");
    expect(typeof decodeDespawn(Uint8Array.of(0x0f))).toBe("string");
    expect(typeof decodeDespawn(Uint8Array.of(0x0f, 1, 1))).toBe("string");
    expect(typeof decodeSyncAck(Uint8Array.of(0x27, 0x80))).toBe("string");
    expect(typeof decodeSyncAck(Uint8Array.of(0x27, 1, 0))).toBe("string");
  });

  it("tell an acknowledgement from the reset form (no tick: the receiver holds no baseline)", () => {
    expect(decodeSyncAck(encodeSyncAck(300))).toBe(300);
    expect(decodeSyncAck(encodeSyncAck(0))).toBe(0);
    expect(encodeSyncAck(null)).toEqual(Uint8Array.of(0x27));
    expect(decodeSyncAck(Uint8Array.of(0x27))).toBeNull();
  });

  it("state values round-trip and refuse masks naming unknown properties or values that do not match", () => {
    const bytes = encodeSyncValues([
      [3, "x"],
      [0, 1.5],
    ]);
    expect(decodeSyncValues(bytes, 4)).toEqual([
      [0, 1.5],
      [3, "x"],
    ]);
    expect(decodeSyncValues(bytes, 3)).toMatch(/unknown properties/);
    expect(decodeSyncValues(Uint8Array.of(3, 1), 2)).toMatch(/1 values for 2 properties/);
    expect(typeof decodeSyncValues(Uint8Array.of(1, 0xc1), 1)).toBe("string");
  });
});
