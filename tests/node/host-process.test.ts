// Game callbacks run on what strangers send. A Node host whose authCallback and argument schema
// throw on bad input must refuse that input and keep serving: the process stays up.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MultiplayerAPI, NetNode } from "starwire/node";
import { afterEach, expect, it } from "vitest";
import { loopbackPeer, startSignaling, until } from "./helpers.js";

let child: ChildProcess | undefined;
let stopSignaling: (() => Promise<void>) | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await stopSignaling?.();
});

class Chat extends NetNode<Chat> {
  readonly echoes: string[] = [];
  constructor() {
    super("chat");
    this.rpcConfig("say", ["any_peer"]);
    this.rpcConfig("echo", {});
  }
  say(_line: unknown): void {}
  echo(line: string): void {
    this.echoes.push(line);
  }
}

/** A client whose auth message is `auth`; resolves once the join is settled either way. */
async function joinWith(url: string, roomCode: string, auth: string) {
  const api = new MultiplayerAPI();
  api.authCallback = () => {};
  api.on("peerAuthenticating", (peer) => {
    api.sendAuth(peer, new TextEncoder().encode(auth));
    api.completeAuth(peer);
  });
  const chat = api.root.addChild(new Chat());
  const peer = loopbackPeer(url);
  api.peer = peer;
  await peer.createClient(roomCode);
  const joined = await Promise.race([
    api.whenConnected().then(
      () => "connected",
      (error: Error) => `failed: ${error.message}`,
    ),
    new Promise<string>((resolve) =>
      setTimeout(() => resolve("neither connected nor failed in 20 s"), 20_000),
    ),
  ]);
  return { api, chat, joined, id: peer.uniqueId };
}

it("a throwing authCallback and a throwing schema do not take a Node host down", async () => {
  const signaling = await startSignaling();
  stopSignaling = signaling.close;
  const script = fileURLToPath(new URL("./fixtures/strict-host.mjs", import.meta.url));
  const host = spawn(process.execPath, [script], { env: { ...process.env, SIGNALING_URL: signaling.url } });
  child = host;
  let output = "";
  host.stdout.on("data", (chunk) => {
    output += chunk;
  });
  host.stderr.on("data", (chunk) => {
    output += chunk;
  });
  await until(() => /room (\w+)/.test(output) || host.exitCode !== null, 15_000, "the host's room code");
  const roomCode = /room (\w+)/.exec(output)?.[1];
  expect(roomCode, output).toBeDefined();

  // Not JSON: the host's JSON.parse throws inside its authCallback.
  const hostile = await joinWith(signaling.url, roomCode!, "{not json");
  expect(hostile.joined).toMatch(/^failed/);
  await until(
    () => output.includes(`auth failed ${hostile.id}`) || host.exitCode !== null,
    10_000,
    "refusal",
  );
  expect(host.exitCode).toBeNull();
  hostile.api.peer = null;

  const honest = await joinWith(signaling.url, roomCode!, '{"name":"ann"}');
  expect(honest.joined).toBe("connected");
  // A number where the schema throws, then a line: only the line runs.
  honest.chat.rpcId(1, "say", 42);
  honest.chat.rpcId(1, "say", "hello");
  await until(() => honest.chat.echoes.length > 0 || host.exitCode !== null, 10_000, "an echo");
  expect(honest.chat.echoes).toEqual(["heard hello"]);
  expect(output).toMatch(/rejected invalid_arguments: .*the schema threw: not a string/);
  expect(host.exitCode).toBeNull();
  honest.api.peer = null;

  const exited = new Promise<string>((resolve) => host.on("exit", () => resolve("exited")));
  host.kill("SIGTERM");
  const ended = await Promise.race([
    exited,
    new Promise<string>((resolve) => setTimeout(() => resolve("still running 10 s after SIGTERM"), 10_000)),
  ]);
  expect(ended, output).toBe("exited");
  expect(output).toContain("stopped");
}, 60_000);
