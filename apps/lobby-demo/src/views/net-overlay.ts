import type { Lobby } from "starwire";
import { byId, element } from "../dom.js";
import type { NetStats } from "../net-stats.js";
import type { PlayerInfo } from "../player-info.js";

/** The corner overlay: each player's ping, loss and traffic to the host, and a relay badge. */
export class NetOverlay {
  readonly #stats: NetStats;
  readonly #lobby: Lobby<PlayerInfo>;
  readonly #list = byId("net-rows");

  constructor(stats: NetStats, lobby: Lobby<PlayerInfo>) {
    this.#stats = stats;
    this.#lobby = lobby;
    stats.onRows = () => this.render();
    lobby.events.on("playersChanged", () => this.render());
  }

  /** Shown on the lobby and game screens. */
  set visible(visible: boolean) {
    byId("net-overlay").hidden = !visible;
  }

  render(): void {
    const items: HTMLElement[] = [];
    for (const [id, player] of this.#lobby.players) {
      const item = element("li", "net-row");
      item.dataset.peer = String(id);
      item.append(element("span", "net-name", player.info.name));
      if (id === 1) {
        item.append(element("span", "net-figures", "host"));
      } else {
        const row = this.#stats.rows.get(id);
        const figures = row
          ? `${row.pingMs ?? "–"} ms · ${row.lossPercent ?? "–"} % loss · ${row.kbps} kbps`
          : "measuring…";
        item.append(element("span", "net-figures", figures));
        if (row?.relay) item.append(element("span", "relay-badge", "relay"));
      }
      items.push(item);
    }
    this.#list.replaceChildren(...items);
  }
}
