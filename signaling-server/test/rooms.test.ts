import { inspect } from "node:util";
import { MAX_PEER_ID } from "starwire-protocol";
import { describe, expect, it } from "vitest";
import { RoomRegistry } from "../src/rooms.js";

function registry(options: Partial<ConstructorParameters<typeof RoomRegistry>[0]> = {}) {
  return new RoomRegistry({ maxRooms: 10, roomCodeLength: 6, ...options });
}

function created(rooms: RoomRegistry, socketId: string, maxPlayers = 8) {
  const result = rooms.create(socketId, maxPlayers);
  if (!result.ok) throw new Error(result.code);
  return result.room;
}

function joined(rooms: RoomRegistry, socketId: string, code: string) {
  const result = rooms.join(socketId, code);
  if (!result.ok) throw new Error(result.code);
  return result.peerId;
}

describe("RoomRegistry", () => {
  it("creates a room whose host is peer 1", () => {
    const rooms = registry();
    const room = created(rooms, "h", 4);
    expect(room).toMatchObject({ hostSocketId: "h", maxPlayers: 4, refusing: false });
    expect(room.code).toMatch(/^[A-Z2-9]{6}$/);
    expect(rooms.membership("h")).toEqual({ room, peerId: 1 });
    expect(rooms.room(room.code)).toBe(room);
    expect(rooms.roomCount).toBe(1);
  });

  it("gives clients unique random ids in [2, 2^31-1]", () => {
    const rooms = registry();
    const { code } = created(rooms, "h", 500);
    const ids = Array.from({ length: 500 }, (_, i) => joined(rooms, `c${i}`, code));
    expect(new Set(ids).size).toBe(500);
    expect(ids.every((id) => Number.isInteger(id) && id >= 2 && id <= MAX_PEER_ID)).toBe(true);
  });

  it("skips ids that are taken or out of range from the id source", () => {
    const sequence = [7, 7, 1, 0, MAX_PEER_ID + 1, 2.5, 8];
    const rooms = registry({ randomPeerId: () => sequence.shift()! });
    const { code } = created(rooms, "h");
    expect(joined(rooms, "a", code)).toBe(7);
    expect(joined(rooms, "b", code)).toBe(8);
  });

  it("normalizes the code on join and look-up", () => {
    const rooms = registry();
    const { code } = created(rooms, "h");
    expect(joined(rooms, "a", `${code.slice(0, 2)}-${code.slice(2)}`.toLowerCase())).toBeGreaterThan(1);
    expect(rooms.room(` ${code.toLowerCase()} `)?.code).toBe(code);
  });

  it("answers no_such_room, room_refusing, room_full and already_in_room", () => {
    const rooms = registry();
    const { code } = created(rooms, "h", 1);
    expect(rooms.join("x", "NOPE99")).toMatchObject({ ok: false, code: "no_such_room" });
    expect(rooms.setRefusing("h", true)).toMatchObject({ ok: true, changed: true });
    expect(rooms.setRefusing("h", true)).toMatchObject({ ok: true, changed: false });
    expect(rooms.join("x", code)).toMatchObject({ ok: false, code: "room_refusing" });
    rooms.setRefusing("h", false);
    joined(rooms, "a", code);
    expect(rooms.join("x", code)).toMatchObject({ ok: false, code: "room_full" });
    expect(rooms.join("a", code)).toMatchObject({ ok: false, code: "already_in_room" });
    expect(rooms.join("h", code)).toMatchObject({ ok: false, code: "already_in_room" });
    expect(rooms.create("a", 2)).toMatchObject({ ok: false, code: "already_in_room" });
  });

  it("a passworded room admits only the right password, checked before anything else", () => {
    const rooms = registry();
    const room = rooms.create("h", 1, "hunter2");
    if (!room.ok) throw new Error(room.code);
    const { code } = room.room;
    expect(rooms.join("a", code)).toMatchObject({
      ok: false,
      code: "wrong_password",
      message: "this room needs a password",
    });
    expect(rooms.join("a", code, "hunter3")).toMatchObject({
      ok: false,
      code: "wrong_password",
      message: "wrong password for this room",
    });
    expect(rooms.join("a", code, "Hunter2")).toMatchObject({ code: "wrong_password" });
    expect(rooms.join("a", code, "hunter2")).toMatchObject({ ok: true });
    // Full and refusing now, but a stranger without the password learns neither.
    rooms.setRefusing("h", true);
    expect(rooms.join("b", code, "guess")).toMatchObject({ code: "wrong_password" });
    expect(rooms.join("b", code, "hunter2")).toMatchObject({ code: "room_refusing" });
  });

  it("a room without a password admits joins with or without one", () => {
    const rooms = registry();
    const { code } = created(rooms, "h");
    expect(rooms.join("a", code, "anything")).toMatchObject({ ok: true });
    expect(rooms.join("b", code)).toMatchObject({ ok: true });
  });

  it("keeps no plain-text password where inspection, JSON or a property walk could find it", () => {
    const rooms = registry();
    // Built at run time and unusual, so only a stored copy could contain it.
    const password = `pw-${Math.random().toString(36).slice(2)}-zq`;
    const result = rooms.create("h", 4, password);
    if (!result.ok) throw new Error(result.code);
    const { room } = result;
    expect(room.password).toBeDefined();
    expect(inspect(rooms, { depth: 10, showHidden: true })).not.toContain(password);
    expect(JSON.stringify({ ...room, clients: [...room.clients] })).not.toContain(password);
    expect(everyReachableString(room)).not.toContain(password);
    expect(inspect(room.password, { showHidden: true })).toBe("RoomPassword {}");
  });

  it("checks refusal before fullness, as Godot does", () => {
    const rooms = registry();
    const { code } = created(rooms, "h", 1);
    joined(rooms, "a", code);
    rooms.setRefusing("h", true);
    expect(rooms.join("x", code)).toMatchObject({ code: "room_refusing" });
  });

  it("answers server_full at maxRooms, and when no free code can be found", () => {
    const rooms = registry({ maxRooms: 2 });
    created(rooms, "a");
    created(rooms, "b");
    expect(rooms.create("c", 2)).toMatchObject({ ok: false, code: "server_full" });

    const stuck = registry({ randomIndex: () => 0 });
    created(stuck, "a");
    expect(stuck.create("b", 2)).toMatchObject({ ok: false, code: "server_full" });
  });

  it("a client leaving frees its place; the host leaving closes the room and lists its clients", () => {
    const rooms = registry();
    const room = created(rooms, "h", 2);
    const a = joined(rooms, "a", room.code);
    joined(rooms, "b", room.code);
    expect(rooms.leave("a")).toEqual({ kind: "client_left", room, peerId: a });
    expect(rooms.membership("a")).toBeUndefined();
    expect(room.clients.size).toBe(1);
    joined(rooms, "c", room.code);

    const closed = rooms.leave("h");
    expect(closed).toMatchObject({ kind: "room_closed", room });
    expect(closed?.kind === "room_closed" && [...closed.clientSocketIds].sort()).toEqual(["b", "c"]);
    expect(rooms.roomCount).toBe(0);
    for (const id of ["h", "b", "c"]) expect(rooms.membership(id)).toBeUndefined();
    expect(rooms.room(room.code)).toBeUndefined();
    expect(rooms.leave("h")).toBeUndefined();
    expect(rooms.leave("b")).toBeUndefined();
  });

  it("kick and setRefusing are for the host of a room only", () => {
    const rooms = registry();
    const { code } = created(rooms, "h");
    const a = joined(rooms, "a", code);
    expect(rooms.kick("a", a)).toMatchObject({ ok: false, code: "not_host" });
    expect(rooms.setRefusing("a", true)).toMatchObject({ ok: false, code: "not_host" });
    expect(rooms.kick("nobody", a)).toMatchObject({ ok: false, code: "not_in_room" });
    expect(rooms.setRefusing("nobody", true)).toMatchObject({ ok: false, code: "not_in_room" });
    expect(rooms.kick("h", 99)).toMatchObject({ ok: false, code: "unknown_peer" });
    expect(rooms.kick("h", a)).toMatchObject({ ok: true, clientSocketId: "a" });
    expect(rooms.membership("a")).toBeUndefined();
    expect(rooms.kick("h", a)).toMatchObject({ ok: false, code: "unknown_peer" });
  });

  it("a host cannot kick a client of another room", () => {
    const rooms = registry();
    created(rooms, "h1");
    const other = created(rooms, "h2");
    const a = joined(rooms, "a", other.code);
    expect(rooms.kick("h1", a)).toMatchObject({ ok: false, code: "unknown_peer" });
    expect(rooms.membership("a")?.room).toBe(other);
  });

  it("routes client signals to the host with the true sender, host signals to its own clients only", () => {
    const rooms = registry();
    const room = created(rooms, "h");
    const a = joined(rooms, "a", room.code);
    const b = joined(rooms, "b", room.code);
    const elsewhere = created(rooms, "h2");
    const stranger = joined(rooms, "s", elsewhere.code);

    expect(rooms.signalRoute("a", undefined)).toMatchObject({ ok: true, from: a, targetSocketId: "h" });
    expect(rooms.signalRoute("a", b)).toMatchObject({ ok: true, from: a, targetSocketId: "h" });
    expect(rooms.signalRoute("h", b)).toMatchObject({ ok: true, from: 1, targetSocketId: "b" });
    for (const to of [undefined, 1, stranger, 12345]) {
      expect(rooms.signalRoute("h", to)).toMatchObject({ ok: false, code: "unknown_peer" });
    }
    expect(rooms.signalRoute("nobody", 1)).toMatchObject({ ok: false, code: "not_in_room" });
  });
});

/** Every string reachable through own properties (including non-enumerable and symbol keys). */
function everyReachableString(root: unknown): string[] {
  const strings: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (typeof value === "string") strings.push(value);
    if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value))
      return;
    seen.add(value);
    if (value instanceof Map) for (const entry of value) visit(entry);
    if (ArrayBuffer.isView(value)) strings.push(Buffer.from(value.buffer).toString("latin1"));
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor && "value" in descriptor) visit(descriptor.value);
    }
  };
  visit(root);
  return strings;
}
