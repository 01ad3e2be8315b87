import { describe, expect, it } from "vitest";
import { type ReclaimRequest, RoomRegistry } from "../src/rooms.js";

/** Hands out `ids` in order, then fails loudly. */
function sequence(ids: number[]): () => number {
  let next = 0;
  return () => {
    if (next >= ids.length) throw new Error("sequence exhausted");
    return ids[next++]!;
  };
}

function reclaimRequest(overrides: Partial<ReclaimRequest> = {}): ReclaimRequest {
  return { roomCode: "ABCDEF", tokenMatches: true, peers: [], ...overrides };
}

function reclaimed(rooms: RoomRegistry, socketId: string, maxPlayers: number, peers: number[]) {
  const result = rooms.reclaim(socketId, maxPlayers, undefined, reclaimRequest({ peers }));
  if (!result.ok) throw new Error(result.code);
  return result.room;
}

describe("RoomRegistry.reclaim", () => {
  it("reopens the room under the given code with its host as peer 1 and the peers reserved", () => {
    const rooms = new RoomRegistry({ maxRooms: 10, roomCodeLength: 6 });
    const room = reclaimed(rooms, "h", 4, [5, 9]);
    expect(room).toMatchObject({ code: "ABCDEF", hostSocketId: "h", maxPlayers: 4, refusing: false });
    expect([...room.reserved]).toEqual([5, 9]);
    expect(room.clients.size).toBe(0);
    expect(rooms.membership("h")).toEqual({ room, peerId: 1 });
    expect(rooms.room("abc-def")).toBe(room);
  });

  it("refuses a token that does not match, before saying whether the code is live", () => {
    const rooms = new RoomRegistry({ maxRooms: 10, roomCodeLength: 6 });
    const bad = rooms.reclaim("h", 4, undefined, reclaimRequest({ tokenMatches: false }));
    expect(bad).toMatchObject({ ok: false, code: "reclaim_refused" });
    reclaimed(rooms, "h", 4, []);
    const badLive = rooms.reclaim("x", 4, undefined, reclaimRequest({ tokenMatches: false }));
    expect(badLive).toEqual(bad);
    expect(rooms.membership("x")).toBeUndefined();
    expect(rooms.roomCount).toBe(1);
  });

  it("refuses a socket already in a room, and a full server", () => {
    const rooms = new RoomRegistry({ maxRooms: 1, roomCodeLength: 6 });
    const first = rooms.create("h", 4);
    expect(first.ok).toBe(true);
    expect(rooms.reclaim("h", 4, undefined, reclaimRequest())).toMatchObject({ code: "already_in_room" });
    expect(rooms.reclaim("x", 4, undefined, reclaimRequest())).toMatchObject({ code: "server_full" });
  });

  it("never hands a reserved id to a new joiner", () => {
    const rooms = new RoomRegistry({
      maxRooms: 10,
      roomCodeLength: 6,
      randomPeerId: sequence([5, 9, 5, 7, 9, 8]),
    });
    const room = reclaimed(rooms, "h", 8, [5, 9]);
    expect(rooms.join("c1", room.code)).toMatchObject({ ok: true, peerId: 7 });
    expect(rooms.join("c2", room.code)).toMatchObject({ ok: true, peerId: 8 });
  });

  it("counts reserved ids toward maxPlayers until the host kicks them", () => {
    const rooms = new RoomRegistry({ maxRooms: 10, roomCodeLength: 6, randomPeerId: sequence([20, 21]) });
    const room = reclaimed(rooms, "h", 3, [5, 9]);
    expect(rooms.join("c1", room.code)).toMatchObject({ ok: true, peerId: 20 });
    expect(rooms.join("c2", room.code)).toMatchObject({ ok: false, code: "room_full" });
    // Only the host may free a place.
    expect(rooms.kick("c1", 5)).toMatchObject({ ok: false, code: "not_host" });
    expect(rooms.kick("h", 5)).toEqual({ ok: true, kind: "reserved", room });
    expect([...room.reserved]).toEqual([9]);
    expect(rooms.kick("h", 5)).toMatchObject({ ok: false, code: "unknown_peer" });
    expect(rooms.join("c2", room.code)).toMatchObject({ ok: true, peerId: 21 });
    // Freed, the id may be handed out again like any other.
    expect(room.clients.get(20)).toBe("c1");
  });

  it("may reserve more ids than maxPlayers: the room is full until enough are kicked", () => {
    const rooms = new RoomRegistry({ maxRooms: 10, roomCodeLength: 6, randomPeerId: sequence([30]) });
    const room = reclaimed(rooms, "h", 1, [5, 9]);
    expect(rooms.join("c", room.code)).toMatchObject({ code: "room_full" });
    expect(rooms.kick("h", 5).ok).toBe(true);
    expect(rooms.join("c", room.code)).toMatchObject({ code: "room_full" });
    expect(rooms.kick("h", 9).ok).toBe(true);
    expect(rooms.join("c", room.code)).toMatchObject({ ok: true, peerId: 30 });
  });

  it("a host signalling a reserved id gets unknown_peer: there is no socket to reach", () => {
    const rooms = new RoomRegistry({ maxRooms: 10, roomCodeLength: 6 });
    reclaimed(rooms, "h", 4, [5]);
    expect(rooms.signalRoute("h", 5)).toMatchObject({ ok: false, code: "unknown_peer" });
  });

  it("forgets the reservations when the host leaves, and the code is free again", () => {
    const rooms = new RoomRegistry({ maxRooms: 10, roomCodeLength: 6 });
    const room = reclaimed(rooms, "h", 4, [5]);
    expect(rooms.leave("h")).toEqual({ kind: "room_closed", room, clientSocketIds: [] });
    expect(room.reserved.size).toBe(0);
    expect(rooms.roomCount).toBe(0);
    expect(reclaimed(rooms, "h2", 4, []).code).toBe("ABCDEF");
  });

  it("new rooms never get a live reclaimed code", () => {
    // The code generator first proposes ABCDEF (the alphabet's first six letters), then AAAAAA.
    const picks = [0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0];
    let i = 0;
    const rooms = new RoomRegistry({
      maxRooms: 10,
      roomCodeLength: 6,
      randomIndex: () => picks[i++ % picks.length]!,
    });
    reclaimed(rooms, "h", 4, []);
    const created = rooms.create("h2", 4);
    expect(created).toMatchObject({ ok: true, room: { code: "AAAAAA" } });
  });
});
