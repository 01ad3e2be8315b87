import { describe, expect, it } from "vitest";
import { refusal } from "../src/signaling/signaling-client.js";

describe("a signaling server's refusal as the game sees it", () => {
  it("reports a server that cannot serve right now as unreachable, worth retrying, with its own code kept", () => {
    for (const code of ["server_draining", "server_unavailable"] as const) {
      const error = refusal({ ok: false, code, message: "try again" });
      expect(error.reason, code).toBe("signaling_unreachable");
      expect(error.signalingCode, code).toBe(code);
    }
  });
});
