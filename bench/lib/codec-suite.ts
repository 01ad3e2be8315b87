import { Decoder, Encoder } from "@msgpack/msgpack";
import { Color8, Vector2 } from "starwire";
import { decodeArguments, encodeArguments } from "starwire/codec";

/**
 * Encode + decode of typical RPC argument lists with three codecs, the same payloads, same run.
 * Runs in Node and, bundled, in Chromium. "starwire" is the SDK's argument codec: msgpack written
 * by its own small writer (float32 for exact floats, extension types), read by msgpack-lite with the
 * hardening on top. The others get the same data as plain values; @msgpack/msgpack reuses one
 * Encoder and one Decoder, as its documentation recommends for repeated calls.
 *
 * Each codec is timed twice per payload: once in a rotating order (which codec goes first moves
 * with the payload) and once in the reverse of that order; the row reports both and their mean.
 */
export type CodecName = "starwire" | "@msgpack/msgpack" | "JSON";
export interface CodecRow {
  payload: string;
  codec: CodecName;
  /** Mean of the two rounds. */
  opsPerSecond: number;
  rounds: [number, number];
  bytes: number;
}

const plain = (args: unknown[]) =>
  args.map((arg) =>
    arg instanceof Vector2
      ? { x: arg.x, y: arg.y }
      : typeof arg === "object" && arg && "r" in arg
        ? { ...arg }
        : arg,
  );

export const PAYLOADS: Array<{ name: string; args: unknown[] }> = [
  { name: "input (2 small ints)", args: [1, -1] },
  { name: "position (Vector2 + float)", args: [new Vector2(312.5, 88.25), 0.016] },
  { name: "chat (string)", args: ["hello everyone, ready for the next round?"] },
  {
    name: "player info (5 fields)",
    args: [
      { name: "Ada", color: Color8(255, 0, 255), ready: true, score: 12, position: new Vector2(3.5, 7.25) },
    ],
  },
  {
    name: "state (16 entities)",
    args: [
      1234,
      Array.from({ length: 48 }, (_, i) => (i % 3 === 0 ? 100000 + i : (i * 37) % 800)),
      [10, 20, 30, 40],
    ],
  },
];

function measure(run: () => void, budgetMs: number): number {
  for (let i = 0; i < 200; i++) run(); // warm up the JIT
  let operations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let i = 0; i < 100; i++) run();
    operations += 100;
    elapsed = performance.now() - start;
  }
  return Math.round((operations / elapsed) * 1000);
}

export function runCodecSuite(budgetMs = 300): CodecRow[] {
  const rows: CodecRow[] = [];
  const sink: unknown[] = [];
  const encoder = new Encoder();
  const decoder = new Decoder();
  const json = new TextEncoder();
  const text = new TextDecoder();
  PAYLOADS.forEach(({ name, args }, index) => {
    const simple = plain(args);
    const codecs: Array<[CodecName, () => Uint8Array, (bytes: Uint8Array) => unknown]> = [
      ["starwire", () => encodeArguments(args), decodeArguments],
      ["@msgpack/msgpack", () => encoder.encode(simple), (bytes) => decoder.decode(bytes)],
      ["JSON", () => json.encode(JSON.stringify(simple)), (bytes) => JSON.parse(text.decode(bytes))],
    ];
    const rotated = codecs.map((_, i) => codecs[(i + index) % codecs.length]!);
    const rounds = new Map<CodecName, number[]>();
    for (const order of [rotated, [...rotated].reverse()]) {
      for (const [codec, encode, decode] of order) {
        const opsPerSecond = measure(() => {
          sink[0] = decode(encode());
        }, budgetMs);
        rounds.set(codec, [...(rounds.get(codec) ?? []), opsPerSecond]);
      }
    }
    for (const [codec, encode] of codecs) {
      const [first, second] = rounds.get(codec) as [number, number];
      rows.push({
        payload: name,
        codec,
        opsPerSecond: Math.round((first + second) / 2),
        rounds: [first, second],
        bytes: encode().length,
      });
    }
  });
  return rows;
}
