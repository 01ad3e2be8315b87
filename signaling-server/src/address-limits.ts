import { type Clock, KeyedRateLimit, monotonicClock } from "./rate-limit.js";

export interface AddressLimitSettings {
  /** 0 turns each limit off. */
  maxSocketsPerAddress: number;
  roomCreatesPerMinute: number;
  joinAttemptsPerMinute: number;
  failedJoinsPerMinute: number;
  /** Live rooms an address may hold at once. */
  maxRoomsPerAddress: number;
}

/**
 * Limits per client address (see client-address.ts for what an address is). The per-socket token
 * bucket cannot stop one machine that opens many sockets; these can: how many sockets and live
 * rooms it holds, how fast it creates rooms, and how fast it may try room codes and passwords.
 *
 * Every map here forgets an address once it holds nothing: socket and room counts are deleted at
 * zero, rate buckets once they have refilled.
 */
export class AddressLimits {
  private readonly openSockets = new Map<string, number>();
  private readonly liveRooms = new Map<string, number>();
  readonly roomCreates: KeyedRateLimit;
  readonly joinAttempts: KeyedRateLimit;
  readonly failedJoins: KeyedRateLimit;

  constructor(
    private readonly settings: AddressLimitSettings,
    now: Clock = monotonicClock,
  ) {
    this.roomCreates = new KeyedRateLimit(settings.roomCreatesPerMinute, now);
    this.joinAttempts = new KeyedRateLimit(settings.joinAttemptsPerMinute, now);
    this.failedJoins = new KeyedRateLimit(settings.failedJoinsPerMinute, now);
  }

  /** Counts a new socket from `address`; false (and nothing counted) when the address is at its cap. */
  openSocket(address: string): boolean {
    const open = this.openSockets.get(address) ?? 0;
    const cap = this.settings.maxSocketsPerAddress;
    if (cap > 0 && open >= cap) return false;
    this.openSockets.set(address, open + 1);
    return true;
  }

  /** Only for sockets that `openSocket` accepted. */
  closeSocket(address: string): void {
    const open = this.openSockets.get(address);
    if (open === undefined) return;
    if (open <= 1) this.openSockets.delete(address);
    else this.openSockets.set(address, open - 1);
  }

  /** Whether `address` may hold one more live room. */
  mayOpenRoom(address: string): boolean {
    const cap = this.settings.maxRoomsPerAddress;
    return cap === 0 || (this.liveRooms.get(address) ?? 0) < cap;
  }

  /** Counts a live room held by `address` (after `mayOpenRoom` allowed it). */
  openRoom(address: string): void {
    this.liveRooms.set(address, (this.liveRooms.get(address) ?? 0) + 1);
  }

  /** Only for rooms that `openRoom` counted. */
  closeRoom(address: string): void {
    const live = this.liveRooms.get(address);
    if (live === undefined) return;
    if (live <= 1) this.liveRooms.delete(address);
    else this.liveRooms.set(address, live - 1);
  }

  /** How many addresses each map remembers, so tests can check that nothing grows without bound. */
  trackedAddresses(): {
    sockets: number;
    rooms: number;
    roomCreates: number;
    joinAttempts: number;
    failedJoins: number;
  } {
    return {
      sockets: this.openSockets.size,
      rooms: this.liveRooms.size,
      roomCreates: this.roomCreates.size,
      joinAttempts: this.joinAttempts.size,
      failedJoins: this.failedJoins.size,
    };
  }
}
