import { describe, expect, it } from "vitest";
import { Color, Vector2, Vector3 } from "../src/common.js";
import { DecodeError, decodeArguments, encodeArguments } from "../src/wire/codec.js";

describe("argument codec", () => {
  it("refuses objects with keys that shadow what every object inherits", () => {
    for (const key of [
      "toString",
      "valueOf",
      "hasOwnProperty",
      "__proto__",
      "constructor",
      "prototype",
      "isPrototypeOf",
    ]) {
      // msgpack fixmap of one entry: the key as a fixstr, the value 1
      const name = new TextEncoder().encode(key);
      const bytes = Uint8Array.of(0x81, 0xa0 | name.length, ...name, 1);
      expect(() => decodeArguments(bytes), key).toThrow(DecodeError);
    }
    // Keys that merely look alike are data.
    expect(decodeArguments(encodeArguments([{ tostring: 1, value: 2, hasOwn: 3 }]))).toEqual([
      { tostring: 1, value: 2, hasOwn: 3 },
    ]);
  });

  it("round-trips values far bigger than its scratch buffer", () => {
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    const floats = Array.from({ length: 20_000 }, (_, i) => i * 1.5 + 0.1);
    const text = "é".repeat(40_000);
    const map = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, new Vector2(i, -i)]));
    const args = [
      bytes,
      floats,
      text,
      map,
      new Vector3(1, 2, 3),
      new Color(0.5, 0.25, 1, 1),
      -70000,
      4294967295,
    ];
    const decoded = decodeArguments(encodeArguments(args));
    expect(Buffer.from(decoded[0] as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
    expect(decoded.slice(1)).toEqual(args.slice(1));
  });

  it("keeps integers, floats, NaN and the infinities", () => {
    const values = [
      0,
      127,
      128,
      255,
      256,
      65535,
      65536,
      -1,
      -32,
      -33,
      -128,
      -129,
      -32768,
      -32769,
      2 ** 53,
      0.5,
      0.1,
    ];
    expect(decodeArguments(encodeArguments([...values, Number.NaN, Infinity, -Infinity]))).toEqual([
      ...values,
      Number.NaN,
      Infinity,
      -Infinity,
    ]);
  });

  it("refuses bytes that are not complete msgpack", () => {
    expect(() => decodeArguments(Uint8Array.of(0x92, 0x01))).toThrow(DecodeError);
    expect(() => decodeArguments(Uint8Array.of(0xc1))).toThrow(DecodeError);
    // unknown extension types, including the "negative" ones msgpack-lite reads as 128-255 (found by fuzzing)
    expect(() => decodeArguments(Uint8Array.of(0xd4, 0x40, 0x00))).toThrow(DecodeError);
    expect(() => decodeArguments(Uint8Array.of(0x91, 0xd4, 0xc4, 0x00))).toThrow(DecodeError);
  });
});
