// Checks every test vector written down in WIRE.md, byte for byte, both ways.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { godotRpcPacketSize } from "../../../bench/lib/godot-wire.js";
import { Color8, Vector2, Vector3 } from "../src/common.js";
import { decodeLinkFrame, encodeLinkFrame } from "../src/transport/webrtc/link-frames.js";
import {
  decodeClockPing,
  decodeClockPong,
  encodeClockPing,
  encodeClockPong,
} from "../src/wire/clock-packet.js";
import { decodeArguments, encodeArguments } from "../src/wire/codec.js";
import { Command } from "../src/wire/commands.js";
import { decodePathPacket, encodePathPacket, type PathPacket } from "../src/wire/path-packet.js";
import { encodeRaw } from "../src/wire/raw-packet.js";
import { decodeCall, decodeConfirmPath, encodeCall, encodeConfirmPath } from "../src/wire/rpc-packet.js";
import {
  decodeDespawn,
  decodeSpawn,
  encodeDespawn,
  encodeSpawn,
  type SpawnPacket,
} from "../src/wire/spawn-packet.js";
import {
  type DeltaPacket,
  decodeDelta,
  decodeSyncAck,
  decodeSyncVisibility,
  encodeDelta,
  encodeSyncAck,
  encodeSyncVisibility,
  type SyncVisibilityPacket,
} from "../src/wire/sync-packet.js";
import {
  decodeSystemMessage,
  encodeAuth,
  encodePeerNotice,
  encodeRelay,
  encodeTickRate,
} from "../src/wire/system-packet.js";

type VectorPacket =
  | {
      type: "call";
      command: "RPC" | "RSET";
      cacheId: number;
      inline?: { path: string; digest: number };
      index: number;
      args: unknown[];
    }
  | { type: "confirm"; cacheId: number }
  | ({ type: "path" } & PathPacket)
  | { type: "raw"; payload: number[] }
  | { type: "addPeer" | "delPeer" | "peerReconnecting" | "peerReconnected"; id: number }
  | { type: "tickRate"; rate: number }
  | {
      type: "link";
      kind: 0;
      counts: number[];
      stamp: number;
      echo: number;
      held: number;
      sent: number;
      echoReceived: number;
    }
  | { type: "link"; kind: 1; counts: number[] }
  | { type: "link"; kind: 2 }
  | { type: "relay"; peer: number; packet: number[] }
  | { type: "auth"; complete: boolean; data: number[] }
  | { type: "clockPing"; sent: number; rttUs: number | null }
  | { type: "clockPong"; sent: number; hostTime: number }
  | ({ type: "spawn" } & SpawnPacket)
  | { type: "despawn"; nodeId: number }
  | ({ type: "delta" } & DeltaPacket)
  | { type: "syncAck"; tick: number | null }
  | ({ type: "syncVisibility" } & SyncVisibilityPacket);

const revive = (_key: string, value: unknown) => {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const [tag, parts] = (Object.entries(value)[0] ?? []) as [string, number[]];
    if (tag === "$vector2") return new Vector2(...(parts as [number, number]));
    if (tag === "$vector3") return new Vector3(...(parts as [number, number, number]));
    if (tag === "$color8") return Color8(...(parts as [number, number, number, number]));
    if (tag === "$bytes") return Uint8Array.from(parts);
  }
  return value;
};

const wireMd = readFileSync(new URL("../WIRE.md", import.meta.url), "utf8");
const blocks = [...wireMd.matchAll(/```vector\n([\s\S]*?)```/g)];
const vectors = blocks.map(([, body]) => {
  const field = (name: string) => body!.match(new RegExp(`^${name}: (.*)$`, "m"))![1]!;
  return {
    name: field("name"),
    packet: JSON.parse(field("packet"), revive) as VectorPacket,
    bytes: Uint8Array.from(field("hex").split(" "), (byte) => Number.parseInt(byte, 16)),
  };
});

function encode(packet: VectorPacket): Uint8Array {
  switch (packet.type) {
    case "call":
      return encodeCall({
        command: Command[packet.command],
        cacheId: packet.cacheId,
        inline: packet.inline ?? null,
        index: packet.index,
        args: encodeArguments(packet.args),
      });
    case "confirm":
      return encodeConfirmPath(packet.cacheId);
    case "raw":
      return encodeRaw(Uint8Array.from(packet.payload));
    case "path": {
      const { type: _, ...path } = packet;
      return encodePathPacket(path);
    }
    case "addPeer":
    case "delPeer":
    case "peerReconnecting":
    case "peerReconnected":
      return encodePeerNotice(packet.type, packet.id);
    case "tickRate":
      return encodeTickRate(packet.rate);
    case "link":
      return encodeLinkFrame(packet);
    case "relay":
      return encodeRelay(packet.peer, Uint8Array.from(packet.packet));
    case "auth":
      return encodeAuth(packet.complete, Uint8Array.from(packet.data));
    case "clockPing":
      return encodeClockPing(packet);
    case "clockPong":
      return encodeClockPong(packet);
    case "spawn":
      return encodeSpawn(packet);
    case "despawn":
      return encodeDespawn(packet.nodeId);
    case "delta":
      return encodeDelta(packet);
    case "syncAck":
      return encodeSyncAck(packet.tick);
    case "syncVisibility":
      return encodeSyncVisibility(packet);
  }
}

function decode(bytes: Uint8Array, expected: VectorPacket): VectorPacket {
  const type = expected.type;
  if (type === "call") {
    const call = decodeCall(bytes);
    if (typeof call === "string") throw new Error(call);
    return {
      type,
      command: call.command === Command.RPC ? "RPC" : "RSET",
      cacheId: call.cacheId,
      ...(call.inline && { inline: call.inline }),
      index: call.index,
      args: decodeArguments(call.args),
    };
  }
  const replication = decodeReplication(bytes, type);
  if (replication) return replication;
  if (type === "confirm") return { type, cacheId: decodeConfirmPath(bytes) as number };
  if (type === "raw") return { type, payload: [...bytes.subarray(1)] };
  if (type === "clockPing" || type === "clockPong") {
    const clock = type === "clockPing" ? decodeClockPing(bytes) : decodeClockPong(bytes);
    if (typeof clock === "string") throw new Error(clock);
    return { type, ...clock } as VectorPacket;
  }
  if (type === "path") {
    const path = decodePathPacket(bytes);
    if (typeof path === "string") throw new Error(path);
    return { type, ...path };
  }
  if (type === "link") {
    // The lane count is not on the wire (both sides declared the same channels): the vector says it.
    const lanes = "counts" in expected ? expected.counts.length : 0;
    const frame = decodeLinkFrame(bytes, lanes);
    if (typeof frame === "string") throw new Error(frame);
    return { type, ...frame } as VectorPacket;
  }
  const message = decodeSystemMessage(bytes);
  if (typeof message === "string") throw new Error(message);
  if (message.kind === "relay") return { type: "relay", peer: message.peer, packet: [...message.packet] };
  if (message.kind === "auth") return { type: "auth", complete: message.complete, data: [...message.data] };
  if (message.kind === "tickRate") return { type: "tickRate", rate: message.rate };
  return { type: message.kind, id: message.id };
}

describe("WIRE.md test vectors", () => {
  it("has the vectors", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(36);
  });
  for (const vector of vectors) {
    it(vector.name, () => {
      expect([...encode(vector.packet)]).toEqual([...vector.bytes]);
      expect(decode(vector.bytes, vector.packet)).toEqual(vector.packet);
    });
  }
  // Godot's sizes are computed from Godot 4's encoding rules by the benchmark's encoder
  // (bench/lib/godot-wire.ts, which cites the Godot sources), for the very arguments of each vector.
  it("matches the Godot 4 column of WIRE.md's table with the encoder's sizes", () => {
    const table = [
      ...wireMd.matchAll(/^\| (none|one bool|one small int|one float|one Vector2) +\| (\d+) +\|/gm),
    ];
    const vectorOf: Record<string, string> = {
      none: "no arguments",
      "one bool": "one bool",
      "one small int": "one small int",
      "one float": "one float that float32 holds exactly",
      "one Vector2": "one Vector2",
    };
    expect(table.map(([, row]) => row)).toEqual(Object.keys(vectorOf));
    for (const [, row, godot] of table) {
      const vector = vectors.find((v) => v.name === vectorOf[row!])!;
      expect(godotRpcPacketSize(callArgs(vector.packet)), row).toBe(Number(godot));
    }
  });
  it("is no larger than Godot 4 for the first six vectors, strictly smaller with arguments", () => {
    for (const vector of vectors.slice(0, 6)) {
      const args = callArgs(vector.packet);
      const godot = godotRpcPacketSize(args);
      if (args.length === 0) expect(vector.bytes.length, vector.name).toBeLessThanOrEqual(godot);
      else expect(vector.bytes.length, vector.name).toBeLessThan(godot);
    }
    expect(vectors.slice(0, 6).map((v) => godotRpcPacketSize(callArgs(v.packet)))).toEqual([
      3, 5, 6, 12, 16, 16,
    ]);
  });
});

/** The scene replication vectors, decoded; null for other kinds. */
function decodeReplication(bytes: Uint8Array, type: VectorPacket["type"]): VectorPacket | null {
  const ok = <T>(value: T | string): T => {
    if (typeof value === "string") throw new Error(value);
    return value;
  };
  switch (type) {
    case "spawn":
      return { type, ...ok(decodeSpawn(bytes)) };
    case "despawn":
      return { type, nodeId: ok(decodeDespawn(bytes)) };
    case "delta":
      return { type, ...ok(decodeDelta(bytes)) };
    case "syncAck":
      return { type, tick: ok(decodeSyncAck(bytes)) };
    case "syncVisibility":
      return { type, ...ok(decodeSyncVisibility(bytes)) };
    default:
      return null;
  }
}

function callArgs(packet: VectorPacket): unknown[] {
  if (packet.type !== "call") throw new Error("not a call vector");
  return packet.args;
}
