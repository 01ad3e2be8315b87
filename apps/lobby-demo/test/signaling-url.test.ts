import { afterEach, describe, expect, it, vi } from "vitest";
import { chooseSignalingUrl } from "../src/signaling-url.js";

const page = { protocol: "https:", hostname: "game.example" };

describe("the demo's signaling server", () => {
  afterEach(() => vi.restoreAllMocks());

  it("follows ?signal= only to a server on the page's own host", () => {
    expect(chooseSignalingUrl("https://game.example:9000", page, {})).toBe("https://game.example:9000");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    for (const link of [
      "https://evil.example",
      "https://game.example.evil.example",
      "javascript:alert(1)",
      "not a url",
    ]) {
      expect(chooseSignalingUrl(link, page, {}), link).toBe("https://game.example:8787");
    }
    expect(warn).toHaveBeenCalled();
  });

  it("uses the deployment's server, or port 8787 beside the page", () => {
    expect(chooseSignalingUrl(null, page, { url: "wss://signal.example" })).toBe("wss://signal.example");
    expect(chooseSignalingUrl("https://evil.example", page, { url: "wss://signal.example" })).toBe(
      "wss://signal.example",
    );
    expect(chooseSignalingUrl(null, page, { port: "443" })).toBe("https://game.example:443");
  });
});
