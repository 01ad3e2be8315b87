import { byId } from "../dom.js";
import { colorFromHex, type PlayerInfo } from "../player-info.js";

const NAME_KEY = "starwire-demo-name";
const COLOR_KEY = "starwire-demo-color";

export interface HomeActions {
  create(info: PlayerInfo): void;
  join(roomCode: string, info: PlayerInfo): void;
}

/** Name, colour, "Create room" and "Join". Opened through a join link, it is the join form only. */
export class HomeView {
  readonly #name = byId<HTMLInputElement>("name");
  readonly #color = byId<HTMLInputElement>("color");
  readonly #code = byId<HTMLInputElement>("room-code");

  constructor(actions: HomeActions, invitedRoom: string | null) {
    this.#name.value = localStorage.getItem(NAME_KEY) ?? `Player ${Math.floor(100 + Math.random() * 900)}`;
    this.#color.value = localStorage.getItem(COLOR_KEY) ?? this.#color.value;
    if (invitedRoom) {
      this.#code.value = invitedRoom;
      byId("create-area").hidden = true;
    }
    byId("create").addEventListener("click", () => {
      if (byId<HTMLFormElement>("home-form").reportValidity()) actions.create(this.#info());
    });
    byId("home-form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (this.#code.value.trim()) actions.join(this.#code.value, this.#info());
      else this.#code.focus();
    });
  }

  showCreate(): void {
    byId("create-area").hidden = false;
  }

  #info(): PlayerInfo {
    const name = this.#name.value.trim().slice(0, 20) || "Player";
    localStorage.setItem(NAME_KEY, name);
    localStorage.setItem(COLOR_KEY, this.#color.value);
    return { name, color: colorFromHex(this.#color.value) };
  }
}
