import type { IncomingSignal, Reply } from "starwire-protocol";
import { type IncomingEvent, invalid } from "./incoming-event.js";
import type { SignalingContext } from "./signaling-context.js";
import { validateSignal } from "./validate.js";

/**
 * The signal relay: an offer, answer or candidate from a host to one client or from a client to
 * its host, addressed by peer id and delivered to the target's socket (with Redis, wherever it is).
 */
export function signalRelay(ctx: SignalingContext) {
  const { config, registry, metrics } = ctx;
  return signal;

  async function signal({ socketId, payload }: IncomingEvent): Promise<Reply<object>> {
    const request = validateSignal(payload, config);
    if (!request.ok) return invalid(request.message);
    const { to, data, connection } = request.value;
    const route = await registry.signalRoute(socketId, to);
    if (!route.ok) return route;
    // The target's socket dropped and its place waits out the grace: nowhere to deliver. Dropped
    // without an error, since the sender did nothing wrong; the peers start a new connection
    // attempt once the target is back.
    if (route.targetSocketId === undefined) return { ok: true };
    // `from` is the server's record of the sender, never anything the sender claimed.
    const relayed: IncomingSignal = { from: route.from, data };
    if (connection !== undefined) relayed.connection = connection;
    ctx.toSocket(route.targetSocketId).emit("signal", relayed);
    metrics.relayed(data.type);
    return { ok: true };
  }
}
