import { getOrCreate } from "../util/memo.js";

/**
 * How many arguments a method takes: at least `fn.length` (parameters before the first default),
 * at most its declared parameter count, which only the source text tells (Infinity with a rest
 * parameter or when the text cannot be read).
 */
export interface Arity {
  min: number;
  max: number;
}

const arities = new WeakMap<object, Arity>();

export function arityOf(fn: (...args: never[]) => unknown): Arity {
  return getOrCreate(arities, fn, () => ({ min: fn.length, max: declaredParameterCount(fn) }));
}

function declaredParameterCount(fn: (...args: never[]) => unknown): number {
  const source = Function.prototype.toString.call(fn);
  const open = source.indexOf("(");
  if (open < 0) return Number.POSITIVE_INFINITY;
  let depth = 0;
  let quote: string | null = null;
  let count = 0;
  let sawToken = false;
  for (let i = open; i < source.length; i++) {
    const char = source[i]!;
    if (quote) {
      if (char === "\\") i++;
      else if (char === quote) quote = null;
      continue;
    }
    if (char === '"' || char === "'" || char === "`") quote = char;
    else if (char === "(" || char === "[" || char === "{") depth++;
    else if (char === ")" || char === "]" || char === "}") {
      depth--;
      if (depth === 0) return sawToken ? count + 1 : 0;
    } else if (depth === 1) {
      if (char === ",") {
        count++;
        sawToken = false;
        continue;
      }
      if (char === "." && source.startsWith("...", i)) return Number.POSITIVE_INFINITY;
      if (!/\s/.test(char)) sawToken = true;
    }
  }
  return Number.POSITIVE_INFINITY;
}
