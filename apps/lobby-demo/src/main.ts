import { type ConnectionError, Lobby, multiplayer, WebRTCMultiplayerPeer } from "starwire";
import { debugRequested, homeLink, invitedRoom, signalingUrl } from "./config.js";
import { byId } from "./dom.js";
import { NetStats } from "./net-stats.js";
import { type PlayerInfo, playerInfoSchema } from "./player-info.js";
import type {} from "./test-hooks.js";
import { DebugPanel } from "./views/debug-panel.js";
import { GameView } from "./views/game-view.js";
import { HomeView } from "./views/home-view.js";
import { LobbyView } from "./views/lobby-view.js";
import { NetOverlay } from "./views/net-overlay.js";

const GAME_SCENE = "arena";

const debugPanel = new DebugPanel(multiplayer, debugRequested);
const lobby = Lobby.of<PlayerInfo>({
  createPeer: () => {
    const peer = new WebRTCMultiplayerPeer({ signalingUrl });
    debugPanel.apply(peer);
    return peer;
  },
  infoSchema: playerInfoSchema,
});
const netStats = multiplayer.root.addChild(new NetStats());
netStats.start();
const netOverlay = new NetOverlay(netStats, lobby);

type Screen = "home" | "lobby" | "game";
let screen: Screen = "home";

function show(next: Screen, notice: string | null = null): void {
  if (screen === "game" && next !== "game") game.exit();
  screen = next;
  for (const id of ["home", "lobby", "game"] as const) byId(id).hidden = id !== next;
  netOverlay.visible = next !== "home";
  document.body.classList.toggle("is-host", lobby.isHost);
  const banner = byId("notice");
  banner.hidden = notice === null;
  banner.textContent = notice ?? "";
  if (next === "lobby") lobbyView.enter();
  if (next === "game") game.enter();
}

function goHome(notice: string | null): void {
  lobby.leave();
  history.replaceState(null, "", homeLink());
  home.showCreate();
  show("home", notice);
}

const home = new HomeView(
  {
    async create(info) {
      try {
        await lobby.createGame({ maxPlayers: 7, info });
        show("lobby");
      } catch (error) {
        show("home", `Could not create a room: ${(error as Error).message}`);
      }
    },
    async join(roomCode, info) {
      try {
        await lobby.joinGame(roomCode, info);
        show("lobby");
      } catch (error) {
        const failure = error as ConnectionError;
        goHome(describeFailure(failure.reason, failure.retryAfterSeconds));
      }
    },
  },
  invitedRoom,
);

const lobbyView = new LobbyView(
  lobby,
  () => multiplayer.uniqueId,
  () => lobby.loadGame(GAME_SCENE),
  () => goHome(null),
);
const game = new GameView(multiplayer);

lobby.events.on("loadGame", (scene) => {
  if (scene !== GAME_SCENE) return;
  show("game");
  lobby.reportLoaded();
});
lobby.events.on("allPlayersLoaded", () => game.arena.startSimulation(lobby.players.values()));
lobby.events.on("playerDisconnected", (id) => {
  game.arena.removePlayer(id);
  if (screen === "lobby") lobbyView.render();
});
game.arena.onBackToLobby = () => show("lobby");
// On a client, 1 reconnecting means this tab's own link: say so on every screen.
lobby.events.on("playersChanged", () => {
  byId("reconnecting").hidden = lobby.isHost || !lobby.reconnecting.has(1);
});
lobby.events.on("serverDisconnected", () => goHome("The host left the game."));
multiplayer.on("connectionFailed", (reason) => goHome(describeFailure(reason)));
byId("back-to-lobby").addEventListener("click", () => game.arena.rpc("backToLobby"));
byId("leave-game").addEventListener("click", () => goHome(null));

function describeFailure(reason: string, retryAfterSeconds?: number): string {
  switch (reason) {
    case "rate_limited":
      return retryAfterSeconds === undefined
        ? "Too many attempts from your network; try again shortly."
        : `Too many attempts from your network; try again in ${retryAfterSeconds} s.`;
    case "no_such_room":
      return "There is no room with that code.";
    case "room_full":
      return "That room is full.";
    case "room_refusing":
      return "That room is locked.";
    case "signaling_unreachable":
      return "Cannot reach the signaling server.";
    case "room_expired":
      return "Your room closed: nobody joined it for a long while.";
    default:
      return `Could not connect (${reason}).`;
  }
}

window.starwireDemo = {
  positions: () => Object.fromEntries(game.drawn),
  netRows: () => Object.fromEntries(netStats.rows),
  conditions: () => debugPanel.conditions,
  myId: () => multiplayer.uniqueId,
  screen: () => screen,
};

show("home");
