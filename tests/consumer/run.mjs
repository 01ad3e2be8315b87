#!/usr/bin/env node
// The consumer test: what a new user gets from the published packages. Packs `starwire`,
// `starwire-signaling` and the leaf both depend on, `starwire-protocol` (npm pack; the server must
// not depend on the SDK), installs the tarballs into a fresh app outside the workspaces
// (in the OS temp directory, with TypeScript 5.x and Vite, and no Vite config but the plugin),
// type-checks it with both decorator flavours under TypeScript 5.x and 7, builds it (standard
// decorators with `starwire/vite`; experimentalDecorators without any config), then plays a
// 3-tab game in Chromium, inside the loopback-only namespace, against the signaling server
// started from the installed package's bin (tests/consumer/game.spec.ts).
//
// Run after `tsc -b` (npm test does): it packs the dist/ that is there. Installs come from the
// npm cache when they can (--prefer-offline). STARWIRE_CONSUMER_KEEP=1 keeps the temp directory.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../..");
const template = join(repo, "tests/consumer/app");
const installedVersion = (name) =>
  JSON.parse(readFileSync(join(repo, "node_modules", name, "package.json"), "utf8")).version;

/** The user's toolchain: TypeScript 5.x as the issue had it; Vite, esbuild and @types/node as the repo has them. */
const devDependencies = {
  typescript: "5.9.3",
  vite: installedVersion("vite"),
  esbuild: installedVersion("esbuild"),
  "@types/node": installedVersion("@types/node"),
};
const typescript7 = join(repo, "node_modules/typescript/bin/tsc"); // the repo's own compiler, 7.x

const started = Date.now();
const timings = [];
const work = mkdtempSync(join(tmpdir(), "starwire-consumer-"));

function run(
  what,
  command,
  args,
  { cwd = repo, timeoutMs = 120_000, env = process.env, capture = false } = {},
) {
  const result = spawnSync(command, args, {
    cwd,
    env,
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${what}: exited with ${result.status ?? result.signal}`);
  return result.stdout;
}

function step(name, body) {
  const t0 = Date.now();
  console.log(`\nconsumer: ${name}`);
  const value = body();
  timings.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return value;
}

/** What `npm pack` put in a tarball must include the package's build and docs, and no tests. */
function checkContents(pack, required) {
  const files = pack.files.map((file) => file.path);
  const missing = required.filter((path) => !files.includes(path));
  if (missing.length > 0) throw new Error(`${pack.filename} lacks ${missing.join(", ")}`);
  const unwanted = files.filter((path) =>
    /(^|\/)test\/|\.test\.|\.spec\.|tsbuildinfo|(^|\/)node_modules\//.test(path),
  );
  if (unwanted.length > 0) throw new Error(`${pack.filename} ships ${unwanted.join(", ")}`);
  console.log(`${pack.filename}: ${files.length} files, ${pack.size} bytes`);
}

try {
  const tarballs = step("npm pack", () => {
    const packs = join(work, "packs");
    mkdirSync(packs);
    const workspaces = ["packages/protocol", "packages/starwire", "signaling-server"];
    const out = run(
      "npm pack",
      "npm",
      ["pack", "--json", ...workspaces.flatMap((w) => ["-w", w]), "--pack-destination", packs],
      { capture: true },
    );
    const packed = JSON.parse(out);
    const named = (name) => packed.find((pack) => pack.name === name);
    const [protocol, sdk, server] = [
      named("starwire-protocol"),
      named("starwire"),
      named("starwire-signaling"),
    ];
    checkContents(protocol, ["README.md", "LICENSE", "package.json", "dist/index.js", "dist/index.d.ts"]);
    checkContents(sdk, [
      "README.md",
      "LICENSE",
      "package.json",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/node.js",
      "dist/node.d.ts",
      "dist/vite/index.js",
      "dist/vite/index.d.ts",
    ]);
    checkContents(server, ["README.md", "LICENSE", "package.json", "dist/main.js", "dist/server.d.ts"]);
    const serverDependencies = Object.keys(
      JSON.parse(readFileSync(join(repo, "signaling-server/package.json"), "utf8")).dependencies,
    );
    if (serverDependencies.includes("starwire"))
      throw new Error("starwire-signaling depends on the whole SDK");
    return [protocol, sdk, server].map((pack) => join(packs, pack.filename));
  });

  const app = join(work, "app");
  step("install into a fresh app", () => {
    cpSync(template, app, { recursive: true });
    const manifest = { name: "starwire-consumer-app", private: true, type: "module", devDependencies };
    writeFileSync(join(app, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    const flags = ["--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"];
    run("npm install", "npm", ["install", ...flags, ...tarballs], { cwd: app, timeoutMs: 300_000 });
  });

  step("type-check: TypeScript 5.x and 7, standard and experimental decorators, Node side", () => {
    // The installed README's example is part of the app, so the documentation is checked too.
    const readme = readFileSync(join(app, "node_modules/starwire/README.md"), "utf8");
    const example = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme);
    if (!example) throw new Error("the packed README has no ## Example with a ts block");
    writeFileSync(join(app, "src/readme-example.ts"), example[1]);
    const typescript5 = join(app, "node_modules/typescript/bin/tsc");
    for (const [name, tsc] of [
      ["TypeScript 5", typescript5],
      ["TypeScript 7", typescript7],
    ]) {
      const version = run(`${name} --version`, process.execPath, [tsc, "--version"], {
        cwd: app,
        capture: true,
      });
      console.log(version.trim());
      for (const project of ["tsconfig.json", "tsconfig.legacy.json", "tsconfig.node.json"]) {
        run(`${name} -p ${project}`, process.execPath, [tsc, "-p", project], { cwd: app });
      }
    }
  });

  // The same game with experimentalDecorators, built with no Vite config at all: Vite lowers those.
  const legacyApp = join(work, "app-legacy");
  step("vite build: standard decorators with starwire/vite, experimentalDecorators without config", () => {
    run("vite build", "npx", ["--no", "vite", "build"], { cwd: app });
    mkdirSync(legacyApp);
    cpSync(join(app, "src"), join(legacyApp, "src"), { recursive: true });
    cpSync(join(app, "index.html"), join(legacyApp, "index.html"));
    cpSync(join(app, "package.json"), join(legacyApp, "package.json"));
    const tsconfig = JSON.parse(readFileSync(join(app, "tsconfig.json"), "utf8"));
    tsconfig.compilerOptions.experimentalDecorators = true;
    writeFileSync(join(legacyApp, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
    symlinkSync(join(app, "node_modules"), join(legacyApp, "node_modules"), "dir");
    run("vite build (legacy)", "npx", ["--no", "vite", "build"], { cwd: legacyApp });
  });

  await stepAsync("no decorator syntax in either build", async () => {
    const { parseSync } = await import(pathToFileURL(join(app, "node_modules/vite/dist/node/index.js")).href);
    for (const dir of [app, legacyApp]) {
      const assets = join(dir, "dist/assets");
      for (const file of readdirSync(assets).filter((name) => name.endsWith(".js"))) {
        const code = readFileSync(join(assets, file), "utf8");
        if (JSON.stringify(parseSync(file, code).program).includes('"type":"Decorator"')) {
          throw new Error(`${join(assets, file)} still has decorator syntax`);
        }
      }
    }
  });

  step("play: 3 Chromium tabs against the installed starwire-signaling bin", () => {
    run(
      "playwright",
      "sh",
      ["scripts/in-netns.sh", "npx", "playwright", "test", "--config", "tests/consumer/playwright.config.ts"],
      {
        timeoutMs: 300_000,
        env: { ...process.env, STARWIRE_CONSUMER_APP: app, STARWIRE_CONSUMER_LEGACY_APP: legacyApp },
      },
    );
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\nconsumer test passed in ${seconds} s (${timings.join(", ")})`);
} catch (error) {
  console.error(`\nconsumer test FAILED: ${error.message} (app in ${work})`);
  process.exitCode = 1;
} finally {
  if (process.env.STARWIRE_CONSUMER_KEEP !== "1" && process.exitCode !== 1) {
    rmSync(work, { recursive: true, force: true });
  }
}

async function stepAsync(name, body) {
  const t0 = Date.now();
  console.log(`\nconsumer: ${name}`);
  await body();
  timings.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
