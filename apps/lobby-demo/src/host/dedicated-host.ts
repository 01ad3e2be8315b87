import { Lobby, MultiplayerAPI, WebRTCMultiplayerPeer } from "starwire";
import { Arena } from "../game/arena.js";
import { NetStats } from "../net-stats.js";
import { type PlayerInfo, playerInfoSchema } from "../player-info.js";

export interface DedicatedHostOptions {
  signalingUrl: string;
  /** Where ICE gathers, e.g. "127.0.0.1" for a local test; every interface when unset. */
  bindAddress?: string;
  maxPlayers?: number;
  /** Coins that win a round; then everyone goes back to the lobby. */
  winningScore?: number;
  log?: (line: string) => void;
}

/**
 * The demo's authoritative game run by a Node process instead of a player's tab: it hosts the
 * room without being a player, starts a round when every player is ready and ends it when someone
 * reaches the winning score. Browser tabs join it exactly as they join a tab-hosted room.
 */
export async function startDedicatedHost(options: DedicatedHostOptions) {
  const log = options.log ?? (() => {});
  const winningScore = options.winningScore ?? 10;
  const api = new MultiplayerAPI();
  const lobby = Lobby.of<PlayerInfo>(
    {
      createPeer: () =>
        new WebRTCMultiplayerPeer({
          signalingUrl: options.signalingUrl,
          ...(options.bindAddress && { bindAddress: options.bindAddress }),
        }),
      infoSchema: playerInfoSchema,
    },
    api,
  );
  const arena = api.root.addChild(new Arena());
  // Players see each other's ping, loss and traffic in the overlay: the host measures and shares them.
  const netStats = api.root.addChild(new NetStats());
  let playing = false;

  lobby.events.on("playerConnected", (id, info) => log(`player ${id} joined: ${info.name}`));
  lobby.events.on("playerDisconnected", (id) => {
    log(`player ${id} left`);
    arena.removePlayer(id);
    if (playing && lobby.players.size === 0) arena.rpc("backToLobby");
  });
  lobby.events.on("playersChanged", () => {
    if (playing || lobby.players.size === 0 || !lobby.allReady()) return;
    playing = true;
    log(`everyone is ready: round starts with ${lobby.players.size} players`);
    lobby.loadGame("arena");
  });
  lobby.events.on("allPlayersLoaded", () => arena.startSimulation(lobby.players.values()));
  arena.onScores = () => {
    const best = Math.max(0, ...arena.players.map((player) => player.score));
    if (playing && best >= winningScore) arena.rpc("backToLobby");
  };
  arena.onBackToLobby = () => {
    log("round over: back to the lobby");
    arena.stop();
    playing = false;
  };

  const roomCode = await lobby.createGame({ maxPlayers: options.maxPlayers ?? 8 });
  netStats.start();
  log(`room ${roomCode} is open`);
  return {
    roomCode,
    lobby,
    arena,
    stop(): void {
      netStats.stop();
      arena.stop();
      lobby.dispose();
    },
  };
}
