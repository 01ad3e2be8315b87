/**
 * `starwire/vite`: the Vite plugin for games that use `@rpc` and `@networked` as TC39 standard
 * decorators (TypeScript's default). Vite 8 (Oxc) lowers only `experimentalDecorators`; standard
 * decorators pass through it untouched and a browser refuses the whole script. This plugin lowers
 * them with esbuild (an optional peer dependency, loaded only when a module has a decorator), and
 * fails the build, naming the file, if decorator syntax is left in a module or in an output chunk.
 *
 *   // vite.config.ts
 *   import { defineConfig } from "vite";
 *   import starwire from "starwire/vite";
 *   export default defineConfig({ plugins: [starwire()] });
 */
import type { Plugin } from "vite";

/** The few members of esbuild's API the plugin uses (esbuild is an optional peer dependency). */
interface Esbuild {
  transform(
    code: string,
    options: {
      loader: "js";
      sourcefile: string;
      sourcemap: "external";
      supported: Record<string, boolean>;
    },
  ): Promise<{ code: string; map: string }>;
}

interface Position {
  line: number;
  column: number;
}

const PLUGIN = "starwire:decorators";

/** The plugin, for `plugins: [starwire()]` in a Vite config. */
export function starwire(): Plugin {
  let esbuild: Promise<Esbuild> | undefined;
  let root = "";
  const displayName = (id: string): string => {
    const path = id.replace(/^\0/, "").split("?")[0] ?? id;
    return root !== "" && path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
  };
  return {
    name: PLUGIN,
    // After every other transform (Vite's TypeScript/JSX transform included), so the plugin sees the
    // JavaScript that will be bundled whatever other plugins did before it.
    enforce: "post",
    configResolved(config) {
      root = config.root;
    },
    transform: {
      filter: { code: "@" },
      async handler(code, id) {
        const decorator = findDecorator(code, (source) => this.parse(source));
        if (decorator === undefined) return null;
        const file = displayName(id);
        esbuild ??= loadEsbuild();
        let lowered: { code: string; map: string };
        try {
          lowered = await (await esbuild).transform(code, {
            loader: "js",
            sourcefile: file,
            sourcemap: "external",
            // Lower decorators only: everything else is left for Vite's own target handling.
            supported: { decorators: false },
          });
        } catch (error) {
          esbuild = undefined;
          this.error(`${file}: ${(error as Error).message}`);
        }
        const left = findDecorator(lowered.code, (source) => this.parse(source));
        if (left !== undefined) {
          this.error(`${file}: esbuild left a decorator at ${left.line}:${left.column} of its output`);
        }
        return { code: lowered.code, map: lowered.map };
      },
    },
    generateBundle: {
      // Last: after every plugin's renderChunk and after minification, this is what ships.
      order: "post",
      handler(_options, bundle) {
        for (const chunk of Object.values(bundle)) {
          if (chunk.type !== "chunk") continue;
          const found = findDecorator(chunk.code, (source) => this.parse(source));
          if (found === undefined) continue;
          const sources = Object.entries(chunk.modules)
            .filter(([, module]) => module.code && findDecorator(module.code, (s) => this.parse(s)))
            .map(([moduleId]) => displayName(moduleId));
          this.error(
            `decorator syntax left in ${chunk.fileName} at ${found.line}:${found.column}` +
              (sources.length > 0 ? ` (from ${sources.join(", ")})` : "") +
              ": browsers refuse the whole script. It was added after starwire() lowered decorators, " +
              "by a plugin's renderChunk or one ordered after it.",
          );
        }
      },
    },
  };
}

export default starwire;

/** esbuild, from the project that uses the plugin; a missing one is an error that says how to install it. */
async function loadEsbuild(): Promise<Esbuild> {
  // A variable specifier: esbuild is an optional peer dependency, needed only for standard decorators.
  const name = "esbuild";
  try {
    const module = (await import(name)) as Esbuild & { default?: Esbuild };
    return typeof module.transform === "function" ? module : (module.default as Esbuild);
  } catch (error) {
    throw new Error(
      "starwire/vite lowers standard decorators with esbuild, which is not installed: " +
        `npm install --save-dev esbuild (${(error as Error).message})`,
    );
  }
}

/**
 * The first decorator in `code` (1-based line, 0-based column), or undefined. Code that does not
 * parse as JavaScript (a stylesheet, a module another plugin has yet to compile) has none.
 */
export function findDecorator(code: string, parse: (code: string) => unknown): Position | undefined {
  if (!code.includes("@")) return undefined;
  let program: unknown;
  try {
    program = parse(code);
  } catch {
    return undefined;
  }
  const start = firstDecoratorStart(program);
  return start === undefined ? undefined : position(code, start);
}

function firstDecoratorStart(root: unknown): number | undefined {
  const stack: unknown[] = [root];
  let first: number | undefined;
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== "object" || node === null) continue;
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    const record = node as Record<string, unknown>;
    if (record.type === "Decorator" && typeof record.start === "number") {
      if (first === undefined || record.start < first) first = record.start;
      continue;
    }
    for (const key in record) {
      if (key === "parent") continue;
      const value = record[key];
      if (typeof value === "object" && value !== null) stack.push(value);
    }
  }
  return first;
}

function position(code: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = code.indexOf("\n"); i !== -1 && i < offset; i = code.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart };
}
