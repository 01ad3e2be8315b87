import { multiplayer, WebRTCMultiplayerPeer } from "starwire";
import { Race } from "./race.ts";

const params = new URLSearchParams(location.search);
const signalingUrl = params.get("signal") ?? "http://localhost:8787";
const joinCode = params.get("join");

const byId = (id: string) => document.getElementById(id)!;
const race = multiplayer.root.addChild(new Race());
const claim = byId("claim") as HTMLButtonElement;

const render = () => {
  byId("players").textContent = String(multiplayer.getPeers().length + 1);
  byId("scores").textContent = race.scores.map(([peer, coins]) => `${peer}:${coins}`).join(" ");
  byId("leader").textContent = race.leader === 0 ? "none" : String(race.leader);
  byId("winner").textContent = race.winner === 0 ? "none" : String(race.winner);
  claim.disabled = multiplayer.connectionStatus !== "connected" || race.winner !== 0;
};
race.onChange = render;

const fail = (why: string) => {
  byId("status").textContent = `failed: ${why}`;
  document.body.dataset.failed = why;
};
multiplayer.on("connectionFailed", (reason) => fail(reason));
multiplayer.on("serverDisconnected", () => fail("the host left"));
multiplayer.on("peerConnected", render);
multiplayer.on("peerDisconnected", render);
multiplayer.on("connectedToServer", () => {
  byId("status").textContent = `playing as ${multiplayer.uniqueId}`;
  render();
});
claim.addEventListener("click", () => race.rpcId(1, "claim"));

const peer = new WebRTCMultiplayerPeer({ signalingUrl });
try {
  if (joinCode === null) {
    const { roomCode } = await peer.createServer({ maxPlayers: 4 });
    byId("code").textContent = roomCode;
    byId("status").textContent = `playing as 1`;
  } else {
    byId("code").textContent = joinCode;
    byId("status").textContent = "joining";
    await peer.createClient(joinCode);
  }
  multiplayer.peer = peer;
  render();
} catch (error) {
  fail(String(error));
}
// Poll the networked leader (an rset sets the field without an event).
setInterval(render, 100);
