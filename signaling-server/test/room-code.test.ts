import { ROOM_CODE_ALPHABET } from "starwire-protocol";
import { describe, expect, it } from "vitest";
import { generateRoomCode, ROOM_CODE_ATTEMPTS, RoomCodeSpaceExhaustedError } from "../src/room-code.js";

describe("generateRoomCode", () => {
  it("uses only the alphabet, at the requested length", () => {
    for (const length of [4, 6, 12]) {
      for (let i = 0; i < 200; i++) {
        const code = generateRoomCode(length, () => false);
        expect(code).toHaveLength(length);
        expect([...code].every((char) => ROOM_CODE_ALPHABET.includes(char))).toBe(true);
      }
    }
  });

  it("has no confusable characters in its alphabet", () => {
    for (const char of "01ILOU") expect(ROOM_CODE_ALPHABET).not.toContain(char);
  });

  it("produces distinct codes and reaches every letter of the alphabet", () => {
    const codes = new Set<string>();
    for (let i = 0; i < 2000; i++) codes.add(generateRoomCode(6, (code) => codes.has(code)));
    expect(codes.size).toBe(2000);
    const seen = new Set([...codes].join(""));
    expect(seen.size).toBe(ROOM_CODE_ALPHABET.length);
  });

  it("retries past codes of live rooms", () => {
    // A source that first repeats "AAAA" twice, then moves on to "BBBB".
    const sequence = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
    let next = 0;
    const code = generateRoomCode(
      4,
      (candidate) => candidate === "AAAA",
      () => sequence[next++]!,
    );
    expect(code).toBe("BBBB");
    expect(next).toBe(12);
  });

  it("gives up with a clear error when every code is taken", () => {
    let calls = 0;
    expect(() =>
      generateRoomCode(
        4,
        () => {
          calls++;
          return true;
        },
        () => 0,
      ),
    ).toThrow(RoomCodeSpaceExhaustedError);
    expect(calls).toBe(ROOM_CODE_ATTEMPTS);
  });
});
