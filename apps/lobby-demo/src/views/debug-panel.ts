import { type MultiplayerAPI, type NetworkConditions, WebRTCMultiplayerPeer } from "starwire";
import { byId } from "../dom.js";

/** The network conditioner's sliders: what this tab sends is delayed, lost, doubled or throttled. */
const SLIDERS = [
  { key: "latencyMs", label: "Latency", unit: "ms", max: 1000, step: 10 },
  { key: "jitterMs", label: "Jitter ±", unit: "ms", max: 300, step: 5 },
  { key: "lossPercent", label: "Loss (unreliable)", unit: "%", max: 50, step: 1 },
  { key: "duplicatePercent", label: "Duplicates (unreliable)", unit: "%", max: 50, step: 1 },
  { key: "bandwidthKbps", label: "Bandwidth (0 = no cap)", unit: "kbps", max: 2000, step: 25 },
] as const;

/**
 * The debug panel (backquote, or `?debug` in the address): sliders for the network conditioner of
 * this tab's peer (`peer.conditions`), kept for the next game's peer too.
 */
export class DebugPanel {
  readonly #api: MultiplayerAPI;
  readonly #values: Record<(typeof SLIDERS)[number]["key"], number> = {
    latencyMs: 0,
    jitterMs: 0,
    lossPercent: 0,
    duplicatePercent: 0,
    bandwidthKbps: 0,
  };

  constructor(api: MultiplayerAPI, open: boolean) {
    this.#api = api;
    const panel = byId("debug-panel");
    const list = byId("debug-sliders");
    for (const slider of SLIDERS) {
      const label = document.createElement("label");
      label.className = "debug-slider";
      const name = document.createElement("span");
      const value = document.createElement("output");
      const input = document.createElement("input");
      input.type = "range";
      input.min = "0";
      input.max = String(slider.max);
      input.step = String(slider.step);
      input.value = "0";
      input.name = slider.key;
      const show = () => {
        value.textContent = `${input.value} ${slider.unit}`;
      };
      show();
      input.addEventListener("input", () => {
        this.#values[slider.key] = Number(input.value);
        show();
        this.apply();
      });
      name.textContent = slider.label;
      label.append(name, input, value);
      list.append(label);
    }
    byId("debug-reset").addEventListener("click", () => {
      for (const input of list.querySelectorAll("input")) {
        input.value = "0";
        input.dispatchEvent(new Event("input"));
      }
    });
    byId("debug-close").addEventListener("click", () => {
      panel.hidden = true;
    });
    document.addEventListener("keydown", (event) => {
      if (event.key !== "`" || isTyping(event.target)) return;
      panel.hidden = !panel.hidden;
    });
    panel.hidden = !open;
  }

  /** The sliders' conditions, null when all are at 0. */
  get conditions(): NetworkConditions | null {
    const set = Object.values(this.#values).some((value) => value > 0);
    return set ? { ...this.#values } : null;
  }

  /** Applies the sliders to the current peer (a new game's peer gets them from `createPeer`). */
  apply(peer = this.#api.peer): void {
    if (peer instanceof WebRTCMultiplayerPeer) peer.conditions = this.conditions;
  }
}

/** A backquote typed into a name, a room code or the chat is text, not a shortcut. */
function isTyping(target: EventTarget | null): boolean {
  return (
    (target instanceof HTMLInputElement && target.type !== "range") || target instanceof HTMLTextAreaElement
  );
}
