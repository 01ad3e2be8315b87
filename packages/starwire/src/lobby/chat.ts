/**
 * Chat text as it may be shown: control and formatting characters removed, whitespace runs
 * collapsed, trimmed, cut to `maxLength` characters. Empty or non-string input gives "".
 * (Rendering must still use textContent, never innerHTML.)
 */
export function sanitizeChat(text: unknown, maxLength: number): string {
  if (typeof text !== "string") return "";
  const clean = text
    .slice(0, maxLength * 4)
    .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cn}]/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  return [...clean].slice(0, maxLength).join("");
}
