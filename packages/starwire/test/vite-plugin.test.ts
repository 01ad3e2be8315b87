// starwire/vite: the node class of decorators/nodes.ts built by Vite 8 (Oxc) itself, in both
// decorator flavours, with the plugin; its output must hold no decorator syntax and must work.

import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MemoryMultiplayerPeer, MemoryNetwork, MultiplayerAPI } from "starwire";
import starwire, { findDecorator } from "starwire/vite";
import { build, type Plugin, parseSync } from "vite";
import { afterAll, describe, expect, it } from "vitest";
import type { Chat } from "./decorators/dist/standard/nodes.js";

const here = dirname(fileURLToPath(import.meta.url));
const decorators = join(here, "decorators");
const outRoot = join(here, "vite-plugin", "dist");
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

const parse = (code: string) => parseSync("chunk.js", code);

async function buildNodes(flavour: "standard" | "legacy", plugins: Plugin[]): Promise<string> {
  const outDir = join(outRoot, flavour);
  await build({
    configFile: false,
    logLevel: "silent",
    root: decorators,
    tsconfig: join(decorators, `tsconfig.${flavour}.json`),
    plugins,
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      lib: { entry: join(decorators, "nodes.ts"), formats: ["es"], fileName: "nodes" },
      rolldownOptions: { external: [/^starwire/] },
    },
  });
  return join(outDir, "nodes.js");
}

async function rpcsWork(file: string): Promise<void> {
  const { Chat } = (await import(pathToFileURL(file).href)) as { Chat: new () => Chat };
  const network = new MemoryNetwork();
  const host = new MultiplayerAPI();
  const hostPeer = new MemoryMultiplayerPeer(network);
  const { roomCode } = await hostPeer.createServer({ maxPlayers: 2 });
  host.peer = hostPeer;
  const client = new MultiplayerAPI();
  const clientPeer = new MemoryMultiplayerPeer(network);
  await clientPeer.createClient(roomCode);
  client.peer = clientPeer;
  await new Promise<void>((resolve) => host.once("peerConnected", () => resolve()));
  const hostChat = host.root.addChild(new Chat());
  const clientChat = client.root.addChild(new Chat());
  clientChat.rpc("say", "hi");
  clientChat.rset("topic", "games");
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect(hostChat.heard).toEqual([`${client.uniqueId}:say:hi`]);
  expect(hostChat.topic).toBe("games");
  host.peer = null;
  client.peer = null;
}

describe("starwire/vite", () => {
  it("lowers TC39 standard decorators that Vite 8 leaves in its output, and the RPCs work", async () => {
    const plain = await buildNodes("standard", []);
    // Without the plugin: decorator syntax in the bundle, which a browser refuses (the bug).
    expect(findDecorator(readFileSync(plain, "utf8"), parse)).toBeDefined();

    const file = await buildNodes("standard", [starwire()]);
    const code = readFileSync(file, "utf8");
    expect(findDecorator(code, parse)).toBeUndefined();
    expect(code).toContain("__decorateElement"); // esbuild's lowering of standard decorators
    await rpcsWork(file);
  });

  it("leaves experimentalDecorators to Vite, which lowers them, and the RPCs work", async () => {
    const file = await buildNodes("legacy", [starwire()]);
    const code = readFileSync(file, "utf8");
    expect(findDecorator(code, parse)).toBeUndefined();
    expect(code).not.toContain("__decorateElement"); // Oxc lowered them, esbuild was not needed
    await rpcsWork(file);
  });

  it("fails the build, naming the chunk, when a plugin puts decorator syntax back into the output", async () => {
    const late: Plugin = {
      name: "late-decorator",
      enforce: "post",
      renderChunk: (code) => `${code}\nexport class Late { @((v) => v) m() {} }\n`,
    };
    await expect(buildNodes("standard", [starwire(), late])).rejects.toThrow(
      /decorator syntax left in nodes\.js at \d+:\d+.*browsers refuse the whole script/s,
    );
  });

  it("finds decorators by parsing, not by looking for @ in strings and comments", () => {
    expect(findDecorator('/** @param x */ const a = "@rpc"; // @b', parse)).toBeUndefined();
    expect(findDecorator("class A {\n  @d m() {}\n}", parse)).toEqual({ line: 2, column: 2 });
    expect(findDecorator("a { @media x {} }", parse)).toBeUndefined(); // not JavaScript
  });
});
