/** Room codes use letters and digits that cannot be confused when read aloud or typed (no 0/O, 1/I/L, U). */
export const ROOM_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789";

/** Upper-cases and strips spaces and dashes, so "abc-def" and "ABC DEF" name the same room. */
export function normalizeRoomCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]+/g, "");
}
