/**
 * Godot's authentication step (SceneMultiplayer): while `authCallback` is set, a newly connected
 * peer is pending; the two sides exchange auth messages (`sendAuth`) and each calls
 * `completeAuth`. Only when both have completed is the peer admitted; otherwise it is dropped
 * after `authTimeout`.
 */
export interface AuthHooks {
  /** Sends an auth message to a peer that is still pending (reliable, no relay). */
  send(peer: number, packet: Uint8Array): void;
  admit(peer: number): void;
  drop(peer: number): void;
  authenticating(peer: number): void;
  failed(peer: number): void;
}

interface Pending {
  local: boolean;
  remote: boolean;
  timer: ReturnType<typeof setTimeout>;
}

export type AuthCallback = (peer: number, data: Uint8Array) => void;

export class Authenticator {
  callback: AuthCallback | null = null;
  timeoutMs = 3000;
  readonly #hooks: AuthHooks;
  readonly #pending = new Map<number, Pending>();
  readonly #encode: (complete: boolean, data: Uint8Array) => Uint8Array;

  constructor(hooks: AuthHooks, encode: (complete: boolean, data: Uint8Array) => Uint8Array) {
    this.#hooks = hooks;
    this.#encode = encode;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  isPending(peer: number): boolean {
    return this.#pending.has(peer);
  }

  /** A peer connected: pending if authentication is on (returns true), else nothing to do. */
  begin(peer: number): boolean {
    if (!this.callback) return false;
    const timer = setTimeout(() => this.#timeOut(peer), this.timeoutMs);
    this.#pending.set(peer, { local: false, remote: false, timer });
    this.#hooks.authenticating(peer);
    return true;
  }

  sendAuth(peer: number, data: Uint8Array): void {
    if (!this.#pending.has(peer)) throw new Error(`peer ${peer} is not authenticating`);
    this.#hooks.send(peer, this.#encode(false, data));
  }

  complete(peer: number): void {
    const pending = this.#pending.get(peer);
    if (!pending) throw new Error(`peer ${peer} is not authenticating`);
    if (pending.local) return;
    pending.local = true;
    this.#hooks.send(peer, this.#encode(true, new Uint8Array()));
    this.#finishIfDone(peer, pending);
  }

  /** An auth message from a pending peer. */
  receive(peer: number, complete: boolean, data: Uint8Array): void {
    const pending = this.#pending.get(peer);
    if (!pending) return;
    if (!complete) {
      try {
        this.callback?.(peer, data);
      } catch (error) {
        // The callback parses what a stranger sent: its throw fails that peer, never the host.
        console.error(`starwire: authCallback threw for peer ${peer}; its authentication failed:`, error);
        this.#fail(peer);
      }
      return;
    }
    pending.remote = true;
    this.#finishIfDone(peer, pending);
  }

  /** The transport lost a pending peer. */
  lost(peer: number): void {
    const pending = this.#pending.get(peer);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.#pending.delete(peer);
    this.#hooks.failed(peer);
  }

  clear(): void {
    for (const pending of this.#pending.values()) clearTimeout(pending.timer);
    this.#pending.clear();
  }

  #finishIfDone(peer: number, pending: Pending): void {
    if (!pending.local || !pending.remote) return;
    clearTimeout(pending.timer);
    this.#pending.delete(peer);
    this.#hooks.admit(peer);
  }

  #timeOut(peer: number): void {
    this.#fail(peer);
  }

  #fail(peer: number): void {
    const pending = this.#pending.get(peer);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.#pending.delete(peer);
    this.#hooks.failed(peer);
    this.#hooks.drop(peer);
  }
}
