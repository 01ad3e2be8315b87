import { chooseSignalingUrl } from "./signaling-url.js";

const params = new URLSearchParams(location.search);

export const signalingUrl = chooseSignalingUrl(params.get("signal"), location, {
  url: import.meta.env.VITE_SIGNALING_URL,
  port: import.meta.env.VITE_SIGNALING_PORT,
});

/** Whether this page was told its signaling server by the link (tests, local development). */
const linkNamesServer = params.has("signal") && signalingUrl === params.get("signal");

/** `?debug`: the network conditioner's panel is open from the start (backquote toggles it anyway). */
export const debugRequested = params.has("debug");

/** The room code of a join link (`?room=CODE`), if the page was opened through one. */
export const invitedRoom = params.get("room");

/** The join link for a room, keeping a test's `?signal=` so invited tabs reach the same server. */
export function joinLink(roomCode: string): string {
  const link = new URL(location.pathname, location.origin);
  link.searchParams.set("room", roomCode);
  if (linkNamesServer) link.searchParams.set("signal", signalingUrl);
  return link.toString();
}

/** The page's address without a room, keeping a test's `?signal=`. */
export function homeLink(): string {
  return location.pathname + (linkNamesServer ? `?signal=${encodeURIComponent(signalingUrl)}` : "");
}
