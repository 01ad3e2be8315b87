/**
 * `remoteSenderId` inside RPC handlers, including after `await` (Godot loses it there,
 * godot#86719).
 *
 * While a handler runs synchronously the sender is a plain variable. An async handler is awaited
 * by a wrapper function whose name carries the API and sender ids; after an `await` V8's async
 * stack trace still passes through that wrapper, so reading the stack recovers the sender
 * (Chrome, Edge, Node, Deno). Engines without async stack traces read 0 after the first await.
 */
/** The RPC running synchronously right now: API instance and sender (0 = none). */
let currentApi = 0;
let currentSenderId = 0;

const MARKER = /__starwire_rpc_(\d+)_(\d+)__/g;

/** Runs `call` as an RPC from `sender`; `async` wraps it so the sender survives its awaits. */
export function callAsSender<T>(
  api: number,
  sender: number,
  async: boolean,
  call: () => T,
): T | Promise<Awaited<T>> {
  const previousApi = currentApi;
  const previousSender = currentSenderId;
  currentApi = api;
  currentSenderId = sender;
  try {
    if (!async) return call();
    const name = `__starwire_rpc_${api}_${sender}__`;
    const wrapper = {
      async [name](inner: () => T): Promise<Awaited<T>> {
        return await inner();
      },
    }[name]!;
    return wrapper(call);
  } finally {
    currentApi = previousApi;
    currentSenderId = previousSender;
  }
}

/** The sender of the RPC running now for API `api`, or 0. */
export function currentSender(api: number): number {
  return currentApi === api ? currentSenderId : senderFromStack(api);
}

/** V8's knob for how many frames a stack keeps (default 10, too few for deep async chains). */
const V8Error = Error as ErrorConstructor & { stackTraceLimit?: number };

function senderFromStack(api: number): number {
  const limit = V8Error.stackTraceLimit;
  V8Error.stackTraceLimit = 100;
  const stack = new Error().stack ?? "";
  V8Error.stackTraceLimit = limit;
  for (const match of stack.matchAll(MARKER)) if (Number(match[1]) === api) return Number(match[2]);
  return 0;
}

const AsyncFunction = (async () => {}).constructor;

export function isAsyncFunction(fn: unknown): boolean {
  return fn instanceof AsyncFunction;
}
