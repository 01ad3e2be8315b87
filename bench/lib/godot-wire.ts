/**
 * The size of the packet Godot 4 sends for one RPC, computed from Godot's own encoding rules, so
 * the benchmark's "Godot 4" column is derived, not copied from a table. Reference: godotengine/godot
 * at the 4.3-stable tag (the functions below have the same size rules from 4.0 on; 4.4's typed
 * dictionaries and arrays add bytes only when the container is typed, which these rows are not).
 *
 * RPC packet, modules/multiplayer/scene_rpc_interface.cpp, `SceneRPCInterface::_send_rpc`:
 *   - 1 meta byte (command, node-id compression, name-id compression, "byte only or no args" flag);
 *   - the node id: once every target has confirmed the path cache (`send_object_cache` returned
 *     true, `has_all_peers`) a cache id 0–255 takes 1 byte (NETWORK_NODE_ID_COMPRESSION_8), up to
 *     65535 2 bytes, else 4; before confirmation always 4 bytes plus the node path appended;
 *   - the method id: 1 byte when `p_rpc_id <= UINT8_MAX` (a script's @rpc methods, numbered in
 *     sorted order by `_parse_rpc_config`), else 2;
 *   - with no arguments nothing follows (the flag is set); with arguments, 1 byte argument count
 *     then each argument through `MultiplayerAPI::encode_and_compress_variant(s)`
 *     (scene/main/multiplayer_api.cpp). A lone PackedByteArray argument is sent raw, no count.
 *
 * `MultiplayerAPI::encode_and_compress_variant`:
 *   - bool: 1 byte (the value lives in the meta byte's encode-mode bits);
 *   - int: 1 meta byte + 1, 2, 4 or 8 bytes (the smallest of int8/16/32/64 that holds it);
 *   - anything else: `encode_variant` (core/io/marshalls.cpp), whose first header byte is
 *     overwritten with the type, so the size is `encode_variant`'s.
 *
 * `encode_variant` (core/io/marshalls.cpp): a 4-byte header (type and flags), then
 *   - bool 4; int 4, or 8 with ENCODE_FLAG_64 when outside int32; float 4 when `double(float(d)) ==
 *     d`, else 8 (ENCODE_FLAG_64); Vector2 2 × real_t, Color 4 floats (real_t is float in the
 *     default single-precision build);
 *   - String / StringName (`_encode_string`): 4-byte UTF-8 length, the bytes, zero padding to a
 *     multiple of 4;
 *   - Dictionary (untyped): 4-byte count, then `encode_variant` of each key and each value;
 *     Array (untyped): 4-byte count, then each element; PackedByteArray: 4-byte length, bytes,
 *     padding to 4.
 *
 * Relay (modules/multiplayer/scene_multiplayer.cpp): a client's packet for another client goes to
 * the server as [NETWORK_COMMAND_SYS][SYS_COMMAND_RELAY][target int32][packet] in
 * `SceneMultiplayer::send_command`; the server forwards [SYS][RELAY][source int32][packet] in
 * `SceneMultiplayer::_process_sys`: 6 bytes more on each leg.
 */

/** A Godot value as GDScript would type it. */
export type GodotValue =
  | { type: "nil" }
  | { type: "bool"; value: boolean }
  | { type: "int"; value: number }
  | { type: "float"; value: number }
  | { type: "String"; value: string }
  | { type: "Vector2"; x: number; y: number }
  | { type: "Vector3"; x: number; y: number; z: number }
  | { type: "Color"; r: number; g: number; b: number; a: number }
  | { type: "PackedByteArray"; value: Uint8Array }
  | { type: "Array"; items: GodotValue[] }
  | { type: "Dictionary"; entries: Array<[GodotValue, GodotValue]> };

/**
 * The GDScript value a JavaScript argument stands for: a whole number is an int, any other number
 * a float, {x, y} a Vector2, {x, y, z} a Vector3, {r, g, b, a} a Color, a plain object a
 * Dictionary with String keys (duck-typed, so Starwire's classes from any build are recognized).
 */
export function godotValueOf(value: unknown): GodotValue {
  if (value === null || value === undefined) return { type: "nil" };
  if (typeof value === "boolean") return { type: "bool", value };
  if (typeof value === "number")
    return Number.isInteger(value) ? { type: "int", value } : { type: "float", value };
  if (typeof value === "string") return { type: "String", value };
  if (value instanceof Uint8Array) return { type: "PackedByteArray", value };
  if (Array.isArray(value)) return { type: "Array", items: value.map(godotValueOf) };
  if (typeof value === "object") {
    const o = value as Record<string, unknown>;
    const numeric = (...keys: string[]) => keys.every((key) => typeof o[key] === "number");
    if (numeric("r", "g", "b", "a"))
      return { type: "Color", r: o.r as number, g: o.g as number, b: o.b as number, a: o.a as number };
    if (numeric("x", "y", "z"))
      return { type: "Vector3", x: o.x as number, y: o.y as number, z: o.z as number };
    if (numeric("x", "y")) return { type: "Vector2", x: o.x as number, y: o.y as number };
    return {
      type: "Dictionary",
      entries: Object.entries(o).map(([key, item]) => [{ type: "String", value: key }, godotValueOf(item)]),
    };
  }
  throw new TypeError(`no Godot type for ${typeof value}`);
}

const pad4 = (n: number) => (n + 3) & ~3;
const isFloat32 = (d: number) => Math.fround(d) === d || Number.isNaN(d);
const INT32 = (n: number) => n >= -(2 ** 31) && n < 2 ** 31;

/** `encode_variant`'s byte count (core/io/marshalls.cpp). */
export function encodeVariantSize(value: GodotValue): number {
  const HEADER = 4;
  switch (value.type) {
    case "nil":
      return HEADER;
    case "bool":
      return HEADER + 4;
    case "int":
      return HEADER + (INT32(value.value) ? 4 : 8);
    case "float":
      return HEADER + (isFloat32(value.value) ? 4 : 8);
    case "String":
      return HEADER + 4 + pad4(new TextEncoder().encode(value.value).length);
    case "Vector2":
      return HEADER + 2 * 4;
    case "Vector3":
      return HEADER + 3 * 4;
    case "Color":
      return HEADER + 4 * 4;
    case "PackedByteArray":
      return HEADER + 4 + pad4(value.value.length);
    case "Array":
      return HEADER + 4 + value.items.reduce((sum, item) => sum + encodeVariantSize(item), 0);
    case "Dictionary":
      return (
        HEADER +
        4 +
        value.entries.reduce((sum, [key, item]) => sum + encodeVariantSize(key) + encodeVariantSize(item), 0)
      );
  }
}

/** `MultiplayerAPI::encode_and_compress_variant`'s byte count (scene/main/multiplayer_api.cpp). */
export function compressedVariantSize(value: GodotValue): number {
  if (value.type === "bool") return 1;
  if (value.type === "int") {
    const v = value.value;
    const bytes = v >= -128 && v <= 127 ? 1 : v >= -32768 && v <= 32767 ? 2 : INT32(v) ? 4 : 8;
    return 1 + bytes;
  }
  return encodeVariantSize(value);
}

/**
 * Bytes of the packet `SceneRPCInterface::_send_rpc` builds for a call with these arguments, after
 * the path cache is confirmed (cache id and method id below 256 unless given).
 */
export function godotRpcPacketSize(args: readonly unknown[], cacheId = 0, methodId = 0): number {
  const values = args.map(godotValueOf);
  const meta = 1;
  const nodeId = cacheId <= 255 ? 1 : cacheId <= 65535 ? 2 : 4;
  const nameId = methodId <= 255 ? 1 : 2;
  if (values.length === 0) return meta + nodeId + nameId;
  const first = values[0]!;
  if (values.length === 1 && first.type === "PackedByteArray")
    return meta + nodeId + nameId + first.value.length;
  const argumentCount = 1;
  return (
    meta + nodeId + nameId + argumentCount + values.reduce((sum, v) => sum + compressedVariantSize(v), 0)
  );
}

/** What Godot adds to a packet a client sends another client through the server (each leg). */
export const GODOT_RELAY_HEADER = 1 + 1 + 4; // [SYS][RELAY][peer int32], SceneMultiplayer::send_command / _process_sys
