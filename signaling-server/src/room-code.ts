import { randomInt } from "node:crypto";
import { ROOM_CODE_ALPHABET } from "starwire-protocol";

/** Returns an integer in [0, max); injectable so tests can force collisions. */
export type RandomIndex = (max: number) => number;

const cryptoRandomIndex: RandomIndex = (max) => randomInt(max);

/**
 * Retries before giving up. With the default 6 characters there are 30^6 ≈ 729 million codes,
 * so even a full server collides rarely; the bound only matters for a misconfigured tiny code space.
 */
export const ROOM_CODE_ATTEMPTS = 100;

export class RoomCodeSpaceExhaustedError extends Error {
  constructor(length: number) {
    super(`no free room code of length ${length} after ${ROOM_CODE_ATTEMPTS} attempts`);
    this.name = "RoomCodeSpaceExhaustedError";
  }
}

/**
 * A random room code (crypto randomness: codes are the only thing keeping strangers out of a room)
 * that `isTaken` does not report as belonging to a live room.
 */
export function generateRoomCode(
  length: number,
  isTaken: (code: string) => boolean,
  randomIndex: RandomIndex = cryptoRandomIndex,
): string {
  for (let attempt = 0; attempt < ROOM_CODE_ATTEMPTS; attempt++) {
    let code = "";
    for (let i = 0; i < length; i++) code += ROOM_CODE_ALPHABET[randomIndex(ROOM_CODE_ALPHABET.length)];
    if (!isTaken(code)) return code;
  }
  throw new RoomCodeSpaceExhaustedError(length);
}
