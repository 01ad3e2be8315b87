import { describe, expect, it } from "vitest";
import { type ResumeRequest, RoomRegistry } from "../src/rooms.js";

/** Hands out `ids` in order, then fails loudly. */
function sequence(ids: number[]): () => number {
  let next = 0;
  return () => {
    if (next >= ids.length) throw new Error("sequence exhausted");
    return ids[next++]!;
  };
}

function registry(ids = [5, 6, 7, 8, 9]) {
  return new RoomRegistry({ maxRooms: 10, roomCodeLength: 6, randomPeerId: sequence(ids) });
}

/** A room hosted by "h" with the given grace, and clients "c5", "c6"… joined in order. */
function roomWith(rooms: RoomRegistry, graceMs: number, clients: number, maxPlayers = 4) {
  const created = rooms.create("h", maxPlayers, undefined, graceMs);
  if (!created.ok) throw new Error(created.code);
  const ids: number[] = [];
  for (let i = 0; i < clients; i++) {
    const joined = rooms.join(`c${i}`, created.room.code);
    if (!joined.ok) throw new Error(joined.code);
    ids.push(joined.peerId);
  }
  return { room: created.room, ids };
}

function resumeOf(code: string, peerId: number, tokenMatches = true): ResumeRequest {
  return { roomCode: code, peerId, tokenMatches };
}

describe("RoomRegistry.drop", () => {
  it("is an ordinary leave in a room without a grace", () => {
    const rooms = registry();
    const { room, ids } = roomWith(rooms, 0, 2);
    expect(rooms.drop("c0")).toEqual({ kind: "client_left", room, peerId: ids[0] });
    expect(rooms.drop("h")).toEqual({ kind: "room_closed", room, clientSocketIds: ["c1"] });
    expect(rooms.roomCount).toBe(0);
    expect(rooms.drop("h")).toBeUndefined();
  });

  it("keeps a client's place without a socket: counted, never handed out, signals go nowhere", () => {
    const rooms = registry([5, 5, 6]);
    const { room, ids } = roomWith(rooms, 500, 1, 2);
    expect(rooms.drop("c0")).toEqual({ kind: "detached", room, peerId: 5 });
    expect(rooms.membership("c0")).toBeUndefined();
    expect(room.clients.has(5) && room.clients.get(5)).toBe(undefined);
    expect([...room.clients.keys()]).toEqual(ids);
    // The id is skipped, and the place counts toward maxPlayers.
    expect(rooms.join("x", room.code)).toMatchObject({ ok: true, peerId: 6 });
    expect(rooms.join("y", room.code)).toMatchObject({ code: "room_full" });
    expect(rooms.signalRoute("h", 5)).toMatchObject({ ok: true, from: 1, targetSocketId: undefined });
  });

  it("keeps a host's room live without a socket: joins still work, client signals go nowhere", () => {
    const rooms = registry();
    const { room } = roomWith(rooms, 500, 1);
    expect(rooms.drop("h")).toEqual({ kind: "detached", room, peerId: 1 });
    expect(room.hostSocketId).toBeUndefined();
    expect(rooms.room(room.code)).toBe(room);
    expect(rooms.join("late", room.code)).toMatchObject({ ok: true, peerId: 6 });
    expect(rooms.signalRoute("c0", undefined)).toMatchObject({
      ok: true,
      from: 5,
      targetSocketId: undefined,
    });
  });
});

describe("RoomRegistry.expire", () => {
  it("frees a detached client's place, once", () => {
    const rooms = registry();
    const { room } = roomWith(rooms, 500, 2);
    rooms.drop("c0");
    expect(rooms.expire(room, 5)).toEqual({ kind: "client_left", room, peerId: 5 });
    expect(room.clients.has(5)).toBe(false);
    expect(rooms.expire(room, 5)).toBeUndefined();
    // An attached client is not expired.
    expect(rooms.expire(room, 6)).toBeUndefined();
    expect(room.clients.get(6)).toBe("c1");
  });

  it("closes a detached host's room, telling only the clients with a socket", () => {
    const rooms = registry();
    const { room } = roomWith(rooms, 500, 2);
    rooms.drop("c0");
    rooms.drop("h");
    expect(rooms.expire(room, 1)).toEqual({ kind: "room_closed", room, clientSocketIds: ["c1"] });
    expect(rooms.roomCount).toBe(0);
    expect(rooms.membership("c1")).toBeUndefined();
    expect(rooms.expire(room, 5)).toBeUndefined();
  });

  it("does nothing for a place that came back, or a room that closed or was reopened", () => {
    const rooms = registry();
    const { room } = roomWith(rooms, 500, 1);
    rooms.drop("c0");
    expect(rooms.resume("c0b", resumeOf(room.code, 5)).ok).toBe(true);
    expect(rooms.expire(room, 5)).toBeUndefined();
    expect(rooms.expire(room, 1)).toBeUndefined();
    rooms.leave("h");
    const again = rooms.reclaim("h2", 4, undefined, { roomCode: room.code, tokenMatches: true, peers: [] });
    expect(again.ok && again.room).not.toBe(room);
    expect(rooms.expire(room, 1)).toBeUndefined();
    expect(rooms.roomCount).toBe(1);
  });
});

describe("RoomRegistry.resume", () => {
  it("puts a new socket in a detached client's place", () => {
    const rooms = registry();
    const { room } = roomWith(rooms, 500, 1);
    rooms.drop("c0");
    const resumed = rooms.resume("n", resumeOf(room.code.toLowerCase(), 5));
    expect(resumed).toEqual({ ok: true, room, peerId: 5, replacedSocketId: undefined });
    expect(rooms.membership("n")).toEqual({ room, peerId: 5 });
    expect(room.clients.get(5)).toBe("n");
    expect(rooms.signalRoute("h", 5)).toMatchObject({ targetSocketId: "n" });
  });

  it("takes the place from a socket still attached to it", () => {
    const rooms = registry();
    const { room } = roomWith(rooms, 0, 1);
    expect(rooms.resume("n", resumeOf(room.code, 5))).toEqual({
      ok: true,
      room,
      peerId: 5,
      replacedSocketId: "c0",
    });
    expect(rooms.membership("c0")).toBeUndefined();
    // The replaced socket's later disconnect finds nothing to announce.
    expect(rooms.leave("c0")).toBeUndefined();
    expect(room.clients.get(5)).toBe("n");
  });

  it("turns a reserved id into a client", () => {
    const rooms = registry();
    const reclaimed = rooms.reclaim("h", 2, undefined, {
      roomCode: "ABCDEF",
      tokenMatches: true,
      peers: [40],
    });
    if (!reclaimed.ok) throw new Error(reclaimed.code);
    const { room } = reclaimed;
    expect(rooms.resume("n", resumeOf("ABCDEF", 40))).toMatchObject({ ok: true, peerId: 40 });
    expect(room.reserved.size).toBe(0);
    expect(room.clients.get(40)).toBe("n");
    expect(rooms.kick("h", 40)).toEqual({ ok: true, kind: "client", room, clientSocketId: "n" });
  });

  it("refuses, in order: a socket in a room, a wrong token, a room not live, a place that is gone", () => {
    const rooms = registry();
    const { room } = roomWith(rooms, 500, 1);
    expect(rooms.resume("c0", resumeOf(room.code, 5))).toMatchObject({ code: "already_in_room" });
    expect(rooms.resume("h", resumeOf(room.code, 5))).toMatchObject({ code: "already_in_room" });
    const wrong = rooms.resume("n", resumeOf(room.code, 5, false));
    expect(wrong).toEqual({
      ok: false,
      code: "invalid_request",
      message: "this resume token does not belong to this room and peer",
    });
    // A wrong token for a code nobody holds gets the same answer.
    expect(rooms.resume("n", resumeOf("NOPE22", 5, false))).toEqual(wrong);
    expect(rooms.resume("n", resumeOf("NOPE22", 5))).toMatchObject({ code: "no_such_room" });
    expect(rooms.resume("n", resumeOf(room.code, 99))).toMatchObject({ code: "session_expired" });
    expect(rooms.membership("n")).toBeUndefined();
  });

  it("a kicked detached client's place is gone", () => {
    const rooms = registry();
    const { room } = roomWith(rooms, 500, 1);
    rooms.drop("c0");
    expect(rooms.kick("h", 5)).toEqual({ ok: true, kind: "detached", room });
    expect(room.clients.size).toBe(0);
    expect(rooms.resume("n", resumeOf(room.code, 5))).toMatchObject({ code: "session_expired" });
  });
});

describe("RoomRegistry.reclaim of a live room (takeover)", () => {
  const request = (roomCode: string, peers: number[], tokenMatches = true) => ({
    roomCode,
    tokenMatches,
    peers,
  });

  it("makes the socket the host with the settings it sent, keeping the clients", () => {
    const rooms = registry();
    const { room } = roomWith(rooms, 500, 3);
    rooms.setRefusing("h", true);
    rooms.drop("h");
    const result = rooms.reclaim("h2", 6, "pw", request(room.code, [5, 6, 40]), 900);
    expect(result).toEqual({
      ok: true,
      room,
      // 7 joined while the host was away (or the host lost it): it must hear of it again.
      takeover: { replacedSocketId: undefined, unlistedPeers: [7] },
    });
    expect(room).toMatchObject({ hostSocketId: "h2", maxPlayers: 6, reconnectGraceMs: 900, refusing: false });
    expect(room.password?.matches("pw")).toBe(true);
    // Listed ids that are not clients are reserved; the clients stay.
    expect([...room.reserved]).toEqual([40]);
    expect([...room.clients]).toEqual([
      [5, "c0"],
      [6, "c1"],
      [7, "c2"],
    ]);
    expect(rooms.membership("h2")).toEqual({ room, peerId: 1 });
    expect(rooms.roomCount).toBe(1);
  });

  it("takes the room from a host socket still attached, which ends up in no room", () => {
    const rooms = registry();
    const { room } = roomWith(rooms, 0, 0);
    const result = rooms.reclaim("h2", 4, undefined, request(room.code, []));
    expect(result).toMatchObject({ ok: true, takeover: { replacedSocketId: "h", unlistedPeers: [] } });
    expect(rooms.membership("h")).toBeUndefined();
    expect(rooms.leave("h")).toBeUndefined();
    expect(rooms.room(room.code)?.hostSocketId).toBe("h2");
  });

  it("replaces earlier reservations with the ids the host lists now", () => {
    const rooms = registry();
    const first = rooms.reclaim("h", 4, undefined, request("ABCDEF", [40, 41]), 500);
    if (!first.ok) throw new Error(first.code);
    rooms.drop("h");
    const second = rooms.reclaim("h2", 4, undefined, request("ABCDEF", [41, 42]));
    expect(second).toMatchObject({ ok: true, takeover: { unlistedPeers: [] } });
    expect([...first.room.reserved]).toEqual([41, 42]);
  });

  it("needs the token, and is not refused by a full server: it opens no room", () => {
    const rooms = new RoomRegistry({ maxRooms: 1, roomCodeLength: 6, randomPeerId: sequence([5]) });
    const { room } = roomWith(rooms, 500, 0);
    expect(rooms.reclaim("h2", 4, undefined, request(room.code, [], false))).toMatchObject({
      code: "reclaim_refused",
    });
    expect(rooms.reclaim("h2", 4, undefined, request(room.code, []))).toMatchObject({ ok: true });
    expect(rooms.reclaim("x", 4, undefined, request("ZZZZZZ", []))).toMatchObject({ code: "server_full" });
  });
});
