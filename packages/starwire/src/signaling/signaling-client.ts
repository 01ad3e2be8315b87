import { io, type Socket } from "socket.io-client";
import { ConnectionError } from "../transport/multiplayer-peer.js";
import type {
  ClientToServerEvents,
  Reply,
  ServerToClientEvents,
  SignalingError,
  SignalingErrorCode,
} from "./protocol.js";

export type SignalingSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * A server that refuses a connection (too many sockets from this address) says why in a
 * `signalingError` about "connection" right after accepting it, then closes it. Heard from the
 * socket's first moment, since it can arrive in the same read as the connect itself.
 */
const connectionRefusals = new WeakMap<SignalingSocket, SignalingError>();

/** Opens a socket.io connection to the signaling server, or fails with `signaling_unreachable`. */
export function connectSignaling(url: string, timeoutMs: number): Promise<SignalingSocket> {
  return connectSignalingSoon(url, 0, timeoutMs);
}

/**
 * Connects while the network may be coming back: a new attempt every `staggerMs` while earlier
 * ones are still pending, the first to connect wins. An attempt begun while the network was down
 * waits for TCP's next SYN retry (1 s, then 3 s…), while a fresh one gets through as soon as the
 * network is back; a slow network still has up to `timeoutMs` to complete the first. Browsers run
 * one WebSocket handshake per host at a time, so there the attempts queue: `abort` (say, on the
 * browser's `online` event) drops them all at once so that the next call starts afresh.
 * `staggerMs` 0: a single attempt.
 */
export function connectSignalingSoon(
  url: string,
  staggerMs: number,
  timeoutMs: number,
  abort?: AbortSignal,
): Promise<SignalingSocket> {
  return new Promise((resolve, reject) => {
    const pending = new Set<SignalingSocket>();
    let settled = false;
    let lastError = new ConnectionError("signaling_unreachable", `signaling server ${url} unreachable`);
    const finish = (winner: SignalingSocket | null) => {
      settled = true;
      clearInterval(stagger);
      clearTimeout(deadline);
      abort?.removeEventListener("abort", aborted);
      for (const socket of pending) if (socket !== winner) socket.close();
      pending.clear();
      if (winner) resolve(winner);
      else reject(lastError);
    };
    const aborted = () => {
      lastError = new ConnectionError(
        "signaling_unreachable",
        "signaling connect abandoned: the network changed",
      );
      finish(null);
    };
    const attempt = () => {
      const socket: SignalingSocket = io(url, {
        transports: ["websocket"],
        reconnection: false,
        timeout: timeoutMs,
        forceNew: true,
      });
      pending.add(socket);
      socket.on("signalingError", (error) => {
        if (error?.event === "connection") connectionRefusals.set(socket, error);
      });
      socket.once("connect", () => {
        if (!settled) finish(socket);
        else socket.close();
      });
      socket.once("connect_error", (error) => {
        pending.delete(socket);
        socket.close();
        lastError = new ConnectionError(
          "signaling_unreachable",
          `signaling server ${url} unreachable: ${error.message}`,
        );
        // Refused outright (the server is down, not the network): no point in more at once.
        if (!settled && pending.size === 0) finish(null);
      });
    };
    const stagger =
      staggerMs > 0
        ? setInterval(() => {
            if (!settled) attempt();
          }, staggerMs)
        : undefined;
    const deadline = setTimeout(() => finish(null), timeoutMs);
    if (abort?.aborted) return aborted();
    abort?.addEventListener("abort", aborted);
    attempt();
  });
}

/**
 * Whether the socket still reaches the server: a socket can look connected for many seconds after
 * its network went away (socket.io notices only at its next heartbeat).
 */
export async function probeSignaling(socket: SignalingSocket, timeoutMs: number): Promise<boolean> {
  try {
    const reply: unknown = await socket.timeout(timeoutMs).emitWithAck("probe");
    return typeof reply === "object" && reply !== null;
  } catch {
    return false;
  }
}

/**
 * Lets a socket go without leaving: the transport closes as if the network dropped it, so the
 * server keeps this peer's place (a deliberate `disconnect()` would give it up).
 */
export function abandonSignaling(socket: SignalingSocket | null): void {
  if (!socket) return;
  socket.removeAllListeners();
  socket.io.engine?.close();
}

type RequestEvent = "create" | "join" | "resume";
type RequestOf<E extends RequestEvent> = Parameters<ClientToServerEvents[E]>[0];
type ReplyOf<E extends RequestEvent> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

/** Sends a request and waits for the server's reply; a refusal becomes a ConnectionError. */
export async function request<E extends RequestEvent>(
  socket: SignalingSocket,
  event: E,
  payload: RequestOf<E>,
  timeoutMs: number,
): Promise<Extract<ReplyOf<E>, { ok: true }>> {
  // A server that refused the connection itself closes it: that is the answer, not a timeout.
  const early = connectionRefusals.get(socket);
  if (early !== undefined) throw refusal(early);
  let refuseConnection: (refusal: SignalingError) => void = () => {};
  const refused = new Promise<SignalingError>((resolve) => {
    refuseConnection = resolve;
  });
  const onSignalingError = (error: SignalingError & { event: string }) => {
    if (error?.event === "connection") refuseConnection(error);
  };
  socket.on("signalingError", onSignalingError);
  let reply: Reply<object>;
  try {
    reply = await Promise.race([
      // biome-ignore lint/suspicious/noExplicitAny: socket.io's timeout() typing cannot follow a generic event name
      (socket.timeout(timeoutMs) as any).emitWithAck(event, payload) as Promise<Reply<object>>,
      refused,
    ]);
  } catch {
    throw new ConnectionError("signaling_unreachable", `signaling server did not answer "${event}" in time`);
  } finally {
    socket.off("signalingError", onSignalingError);
  }
  if (!reply || typeof reply !== "object")
    throw new ConnectionError("signaling_error", `bad reply to "${event}"`);
  if (!reply.ok) throw refusal(reply);
  return reply as Extract<ReplyOf<E>, { ok: true }>;
}

/** The server's refusal as the error a game sees. */
export function refusal(error: SignalingError): ConnectionError {
  const retryAfter = error.retryAfterSeconds;
  const wait =
    typeof retryAfter === "number" && Number.isFinite(retryAfter) && retryAfter > 0
      ? Math.ceil(retryAfter)
      : undefined;
  return new ConnectionError(failureReason(error.code), error.message, error.code, wait);
}

function failureReason(code: SignalingErrorCode): ConnectionError["reason"] {
  switch (code) {
    case "no_such_room":
    case "room_full":
    case "room_refusing":
    case "wrong_password":
    case "rate_limited":
      return code;
    // Shutting down, or cut off from its room store: as good as unreachable, and worth trying
    // again the same way.
    case "server_draining":
    case "server_unavailable":
      return "signaling_unreachable";
    default:
      return "signaling_error";
  }
}
