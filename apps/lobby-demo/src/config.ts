const params = new URLSearchParams(location.search);

/** The signaling server: `?signal=` (tests), VITE_SIGNALING_URL (a deployment), else port 8787 beside the page. */
export const signalingUrl =
  params.get("signal") ??
  import.meta.env.VITE_SIGNALING_URL ??
  `${location.protocol}//${location.hostname}:${import.meta.env.VITE_SIGNALING_PORT ?? "8787"}`;

/** The room code of a join link (`?room=CODE`), if the page was opened through one. */
export const invitedRoom = params.get("room");

/** The join link for a room, keeping a test's `?signal=` so invited tabs reach the same server. */
export function joinLink(roomCode: string): string {
  const link = new URL(location.pathname, location.origin);
  link.searchParams.set("room", roomCode);
  if (params.has("signal")) link.searchParams.set("signal", signalingUrl);
  return link.toString();
}
