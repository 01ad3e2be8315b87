import type { Socket } from "socket.io";
import type {
  ClientToServerEvents,
  Reply,
  ServerToClientEvents,
  SignalingError,
  SignalingErrorCode,
} from "starwire-protocol";

export type SignalingSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** One incoming event, with the one way to answer it. */
export interface IncomingEvent {
  readonly socket: SignalingSocket;
  readonly socketId: string;
  /** The key of the per-address limits (client-address.ts). */
  readonly address: string;
  readonly payload: unknown[];
  readonly hasReply: boolean;
  /**
   * Answers once: through the reply callback when the client gave one, otherwise errors become a
   * `signalingError` event and successes need no answer.
   */
  respond<T extends object>(reply: Reply<T>): void;
}

/**
 * Returns the answer, which the dispatcher sends. A handler that must answer before it notifies
 * other sockets calls `respond` itself; later answers are ignored.
 */
export type EventHandler = (event: IncomingEvent) => Reply<object> | Promise<Reply<object>>;

/** Event names are echoed back in signalingError; a client chooses them, so keep them short. */
export const MAX_ECHOED_EVENT_NAME = 64;

export function invalid(message: string): SignalingError {
  return { ok: false, code: "invalid_request", message };
}

export function errorOf(code: SignalingErrorCode, message: string): SignalingError {
  return { ok: false, code, message };
}

/** A refusal by a limit: with when the same request would be allowed again, when known. */
export function rateLimited(message: string, retryAfter?: number): SignalingError {
  return retryAfter === undefined
    ? errorOf("rate_limited", message)
    : { ...errorOf("rate_limited", message), retryAfterSeconds: retryAfter };
}

export function incomingEvent(
  socket: SignalingSocket,
  socketId: string,
  address: string,
  eventName: string,
  payload: unknown[],
  reply: ((reply: unknown) => void) | undefined,
  logFailure: (what: string, error: unknown) => void,
): IncomingEvent {
  let answered = false;
  return {
    socket,
    socketId,
    address,
    payload,
    hasReply: reply !== undefined,
    respond<T extends object>(answer: Reply<T>) {
      if (answered) return;
      answered = true;
      try {
        if (reply !== undefined) reply(answer);
        else if (!answer.ok) socket.emit("signalingError", { ...answer, event: eventName });
      } catch (error) {
        logFailure(`error answering "${eventName}" to ${socketId}`, error);
      }
    },
  };
}

/**
 * socket.io's parser lets strings and numbers through as event names; anything else (only possible
 * with a custom parser, or in-process) is named by its type, since String() can throw on objects.
 */
export function eventNameOf(name: unknown): string {
  return typeof name === "string" || typeof name === "number" ? String(name) : `(${typeof name})`;
}

/** The error and where it was thrown, on one line: logs are one line per event. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const [headline, firstFrame] = (error.stack ?? error.message).split("\n");
  return firstFrame === undefined ? headline! : `${headline} (${firstFrame.trim()})`;
}
