import type { Reply } from "starwire-protocol";
import { type IncomingEvent, invalid } from "./incoming-event.js";
import type { RoomUpkeep } from "./room-upkeep.js";
import { type SignalingContext, tag } from "./signaling-context.js";
import { validateKick, validateLeave, validateProbe, validateSetRefusing } from "./validate.js";

/**
 * The requests of a socket in a room, besides signals (signal-relay.ts): the host's controls
 * (`setRefusing`, `kick`) and `leave`; and `probe`, which answers anyone at once.
 */
export function roomRequestHandlers(ctx: SignalingContext, upkeep: RoomUpkeep) {
  const { registry } = ctx;
  const log = (line: string): void => ctx.log(line);
  return { probe, setRefusing, kick, leave };

  /** Answers at once, in a room or not; changes nothing (not even the idle countdown). */
  function probe({ payload }: IncomingEvent): Reply<object> {
    const request = validateProbe(payload);
    if (!request.ok) return invalid(request.message);
    return { ok: true };
  }

  async function setRefusing({ socketId, payload }: IncomingEvent): Promise<Reply<object>> {
    const request = validateSetRefusing(payload);
    if (!request.ok) return invalid(request.message);
    const result = await registry.setRefusing(socketId, request.value.refusing);
    if (!result.ok) return result;
    if (result.changed) log(`room ${tag(result.room)} refusing=${result.room.refusing}`);
    return { ok: true };
  }

  async function kick({ socket, socketId, payload }: IncomingEvent): Promise<Reply<object>> {
    const request = validateKick(payload);
    if (!request.ok) return invalid(request.message);
    const { peerId } = request.value;
    const result = await registry.kick(socketId, peerId);
    if (!result.ok) return result;
    upkeep.watchOccupancy(result.room);
    if (result.kind === "reserved") {
      // A reserved id from a reclaim: no socket to tell, and the host already knows it is gone.
      log(`room ${tag(result.room)} released reserved peer=${peerId}`);
      return { ok: true };
    }
    if (result.kind === "detached") {
      // Its socket had dropped: nobody to tell but the host, as for any kick; a resume now gets
      // session_expired.
      upkeep.graceTimers.stop(result.room.instance, peerId);
      socket.emit("peerLeft", { peerId });
      log(`room ${tag(result.room)} kicked peer=${peerId} (detached)`);
      return { ok: true };
    }
    ctx.toSocket(result.clientSocketId).emit("roomClosed", { reason: "kicked" });
    ctx.outOfRoom(result.clientSocketId);
    // peerLeft goes out before the reply, so when the host's kick settles its peer list is current.
    socket.emit("peerLeft", { peerId });
    log(`room ${tag(result.room)} kicked peer=${peerId} socket=${result.clientSocketId}`);
    return { ok: true };
  }

  async function leave({ socketId, payload }: IncomingEvent): Promise<Reply<object>> {
    const request = validateLeave(payload);
    if (!request.ok) return invalid(request.message);
    // Leaving when not in a room succeeds: the caller wanted to be out, and it is.
    const outcome = await registry.leave(socketId);
    upkeep.announceLeave(outcome, "left");
    if (outcome !== undefined) ctx.outOfRoom(socketId);
    return { ok: true };
  }
}
