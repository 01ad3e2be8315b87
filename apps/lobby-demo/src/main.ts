import { type ConnectionError, multiplayer, normalizeRoomCode, WebRTCMultiplayerPeer } from "starwire";

const params = new URLSearchParams(location.search);
const signalingUrl =
  params.get("signal") ??
  import.meta.env.VITE_SIGNALING_URL ??
  `${location.protocol}//${location.hostname}:8787`;

const element = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const home = element("home");
const room = element("room");
const notice = element("notice");
const peerList = element<HTMLUListElement>("peers");
const codeInput = element<HTMLInputElement>("room-code");

function show(view: "home" | "room"): void {
  home.hidden = view !== "home";
  room.hidden = view !== "room";
}

function say(message: string | null): void {
  notice.hidden = message === null;
  notice.textContent = message ?? "";
}

function renderRoom(roomCode: string): void {
  const link = new URL(location.href);
  link.search = "";
  link.searchParams.set("room", roomCode);
  if (params.has("signal")) link.searchParams.set("signal", signalingUrl);
  element("code").textContent = roomCode;
  const anchor = element<HTMLAnchorElement>("join-link");
  anchor.href = anchor.textContent = link.toString();
  element("me").textContent =
    `You are peer ${multiplayer.uniqueId}${multiplayer.isServer() ? " (host)" : ""}`;
  renderPeers();
  show("room");
}

function renderPeers(): void {
  element("status").textContent = `Status: ${multiplayer.connectionStatus}`;
  const ids = multiplayer.getPeers().sort((a, b) => a - b);
  peerList.replaceChildren(
    ...ids.map((id) => {
      const item = document.createElement("li");
      item.textContent = id === 1 ? "1 (host)" : String(id);
      return item;
    }),
  );
}

function leave(message: string | null): void {
  multiplayer.peer = null;
  history.replaceState(null, "", location.pathname);
  say(message);
  show("home");
}

async function createRoom(): Promise<void> {
  say(null);
  const peer = new WebRTCMultiplayerPeer({ signalingUrl });
  try {
    const { roomCode } = await peer.createServer({ maxPlayers: 8 });
    multiplayer.peer = peer;
    renderRoom(roomCode);
  } catch (error) {
    say(`Could not create a room: ${(error as Error).message}`);
  }
}

async function joinRoom(roomCode: string): Promise<void> {
  say(null);
  const peer = new WebRTCMultiplayerPeer({ signalingUrl });
  multiplayer.peer = peer;
  try {
    await peer.createClient(roomCode);
    renderRoom(peer.roomCode ?? normalizeRoomCode(roomCode));
  } catch (error) {
    leave(describeFailure((error as ConnectionError).reason));
  }
}

function describeFailure(reason: string): string {
  switch (reason) {
    case "no_such_room":
      return "There is no room with that code.";
    case "room_full":
      return "That room is full.";
    case "room_refusing":
      return "That room is not taking new players.";
    case "signaling_unreachable":
      return "Cannot reach the signaling server.";
    default:
      return `Could not connect (${reason}).`;
  }
}

multiplayer.on("peerConnected", renderPeers);
multiplayer.on("peerDisconnected", renderPeers);
multiplayer.on("connectedToServer", renderPeers);
multiplayer.on("connectionFailed", (reason) => leave(describeFailure(reason)));
multiplayer.on("serverDisconnected", () => leave("The host left the room."));

element("create").addEventListener("click", () => void createRoom());
element("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void joinRoom(codeInput.value);
});
element("leave").addEventListener("click", () => leave(null));
element("copy-code").addEventListener(
  "click",
  () => void navigator.clipboard?.writeText(element("code").textContent ?? ""),
);
element("copy-link").addEventListener(
  "click",
  () => void navigator.clipboard?.writeText(element("join-link").textContent ?? ""),
);

const invited = params.get("room");
if (invited) {
  codeInput.value = invited;
  void joinRoom(invited);
}
