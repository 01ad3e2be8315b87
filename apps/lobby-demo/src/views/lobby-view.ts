import type { Lobby } from "starwire";
import { joinLink } from "../config.js";
import { byId, element } from "../dom.js";
import type { PlayerInfo } from "../player-info.js";

/** Room code and link, players with colour, ready state and ping, chat, and the host's controls. */
export class LobbyView {
  readonly #lobby: Lobby<PlayerInfo>;
  readonly #myId: () => number;

  constructor(lobby: Lobby<PlayerInfo>, myId: () => number, onStart: () => void, onLeave: () => void) {
    this.#lobby = lobby;
    this.#myId = myId;
    lobby.events.on("playersChanged", () => this.render());
    lobby.events.on("pingsChanged", () => this.render());
    lobby.events.on("chat", (from, text) => this.#appendChat(from, text));
    byId("ready").addEventListener("click", () => lobby.setReady(!lobby.players.get(myId())?.ready));
    byId("start").addEventListener("click", () => {
      if (lobby.allReady()) onStart();
    });
    byId("lock").addEventListener("click", () => {
      lobby.setLocked(!lobby.locked);
      this.render();
    });
    byId("leave").addEventListener("click", onLeave);
    byId("chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = byId<HTMLInputElement>("chat-input");
      if (input.value.trim()) lobby.sendChat(input.value);
      input.value = "";
    });
    byId("copy-code").addEventListener(
      "click",
      () => void navigator.clipboard?.writeText(lobby.roomCode ?? ""),
    );
    byId("copy-link").addEventListener(
      "click",
      () => void navigator.clipboard?.writeText(joinLink(lobby.roomCode ?? "")),
    );
  }

  enter(): void {
    const code = this.#lobby.roomCode ?? "";
    byId("code").textContent = code;
    const link = byId<HTMLAnchorElement>("join-link");
    link.href = link.textContent = joinLink(code);
    byId("chat-log").replaceChildren();
    this.render();
  }

  render(): void {
    const lobby = this.#lobby;
    const me = this.#myId();
    const host = lobby.isHost;
    const players = [...lobby.players.values()].sort((a, b) => a.id - b.id);
    byId("players").replaceChildren(
      ...players.map((player) => {
        const item = element("li", "player");
        item.dataset.peer = String(player.id);
        const swatch = element("span", "swatch");
        swatch.style.background = player.info.color.toHtml();
        const ping = lobby.pings.get(player.id);
        item.append(
          swatch,
          element("span", "player-name", player.info.name),
          element(
            "span",
            "tag",
            [player.id === 1 ? "host" : "", player.id === me ? "you" : ""].filter(Boolean).join(", "),
          ),
          element(
            "span",
            `ready-state${player.ready ? " is-ready" : ""}`,
            player.ready ? "Ready" : "Not ready",
          ),
          element("span", "ping", ping === undefined ? "" : `${ping} ms`),
        );
        if (lobby.reconnecting.has(player.id))
          item.append(element("span", "badge reconnecting", "reconnecting…"));
        if (host && player.id !== me) {
          const kick = element("button", "small secondary kick", "Kick");
          kick.addEventListener("click", () => lobby.kick(player.id));
          item.append(kick);
        }
        return item;
      }),
    );
    byId("ready").textContent = lobby.players.get(me)?.ready ? "Not ready" : "Ready";
    byId<HTMLButtonElement>("start").disabled = !lobby.allReady() || players.length < 1;
    byId("lock").textContent = lobby.locked ? "Unlock room" : "Lock room";
    byId("start-hint").textContent = host
      ? ""
      : lobby.players.has(1)
        ? "The host starts the game when everyone is ready."
        : "The game starts as soon as everyone is ready.";
  }

  #appendChat(from: number, text: string): void {
    const log = byId("chat-log");
    const line = element("li", "chat-line");
    const name = this.#lobby.players.get(from)?.info.name ?? `Peer ${from}`;
    line.append(element("span", "chat-from", `${name}: `), element("span", "chat-text", text));
    log.append(line);
    log.scrollTop = log.scrollHeight;
  }
}
