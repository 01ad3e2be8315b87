// Fails when docs or code comments cite a file that is not in the repository: a comment that
// points to a document, or a README row naming a path, is only worth something if the file is
// there. Run by `npm run lint`.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const CITABLE =
  /(?<![\w/.@-])((?:\.{1,2}\/)*(?:[\w@.-]+\/)*[\w-][\w.-]*\.(?:md|ts|mts|mjs|js|sh|json|ya?ml|svg|html))(?![\w/-])/g;
const SKIP_FILES = [/^package-lock\.json$/, /^bench\/results\//];
/** The part of a line that is prose: all of it in Markdown, the comment in code and scripts. */
const PROSE = [
  [/\.md$/, (line) => line],
  [
    /\.(?:[cm]?[jt]sx?)$/,
    (line) => (/^\s*(?:\*|\/\*)/.test(line) ? line : (line.match(/(?:^|\s)\/\/(.*)$/)?.[1] ?? "")),
  ],
  [/(?:\.sh|^\.ci\/run)$/, (line) => line.match(/(?:^|\s)#(.*)$/)?.[1] ?? ""],
];
// Built, installed or produced at run time: cited on purpose, absent from a fresh clone.
const NOT_IN_GIT = [/(^|\/)dist\//, /(^|\/)node_modules\//, /^test-results\//, /^playwright-report\//];

const tracked = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  encoding: "utf8",
})
  .split("\n")
  .filter(Boolean);
const files = new Set(tracked);
const basenames = new Set(tracked.map((file) => basename(file)));

const missing = [];
for (const file of tracked) {
  const prose = PROSE.find(([pattern]) => pattern.test(file))?.[1];
  if (!prose || SKIP_FILES.some((pattern) => pattern.test(file)) || !existsSync(file)) continue;
  const text = readFileSync(file, "utf8");
  for (const [lineIndex, fullLine] of text.split("\n").entries()) {
    const line = prose(fullLine);
    for (const match of line.matchAll(CITABLE)) {
      const cited = match[1];
      const before = line.slice(0, match.index);
      if (/https?:\/\/\S*$/.test(before)) continue;
      if (NOT_IN_GIT.some((pattern) => pattern.test(cited)) || cited.includes("*")) continue;
      if (isThere(cited, file)) continue;
      missing.push(`${file}:${lineIndex + 1}: cites ${cited}, which is not in the repository`);
    }
  }
}

function isThere(cited, from) {
  // TypeScript's ESM imports name the emitted .js of a .ts source.
  if (cited.endsWith(".js") && isThere(`${cited.slice(0, -3)}.ts`, from)) return true;
  const candidates = [cited, join(dirname(from), cited)].map((path) => path.replace(/^\.\//, ""));
  if (candidates.some((path) => files.has(path) || existsSync(path))) return true;
  // A bare name ("tokens.ts") or a path inside a package ("rpc/rpc-interface.ts") names a file
  // somewhere in the repository.
  const bare = cited.replace(/^(?:\.{1,2}\/)+/, "");
  return bare.includes("/") ? tracked.some((path) => path.endsWith(`/${bare}`)) : basenames.has(bare);
}

if (missing.length > 0) {
  console.error(missing.join("\n"));
  console.error(`check-citations: ${missing.length} citation(s) of files that do not exist`);
  process.exit(1);
}
console.log(`check-citations: every file cited in ${tracked.length} files exists`);
