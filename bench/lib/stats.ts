/** Order statistics of a sample, in the sample's unit (p95 and p99 by nearest rank). */
export interface Summary {
  count: number;
  min: number;
  median: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error("no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    count: sorted.length,
    min: sorted[0]!,
    median: quartiles(sorted).median, // the mean of the two middle values when the count is even
    p95: at(0.95),
    p99: at(0.99),
    max: sorted.at(-1)!,
    mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
  };
}

/** A histogram for charts: `bins` equal-width buckets between min and the 99.5th percentile. */
export function histogram(
  samples: readonly number[],
  bins = 40,
): { from: number; width: number; counts: number[] } {
  const sorted = [...samples].sort((a, b) => a - b);
  const from = sorted[0]!;
  const to = sorted[Math.floor(0.995 * (sorted.length - 1))]!;
  const width = Math.max((to - from) / bins, 1e-9);
  const counts = new Array<number>(bins).fill(0);
  for (const value of sorted) counts[Math.min(bins - 1, Math.floor((value - from) / width))]!++;
  return { from, width, counts };
}

export const round = (value: number, digits = 3) => Number(value.toFixed(digits));

/**
 * Median and quartiles by linear interpolation between order statistics (the usual "type 7"
 * definition: the median of an even-sized sample is the mean of the two middle values).
 */
export function quartiles(samples: readonly number[]): {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
} {
  if (samples.length === 0) throw new Error("no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => {
    const position = q * (sorted.length - 1);
    const low = Math.floor(position);
    const high = Math.min(sorted.length - 1, low + 1);
    return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
  };
  return { min: sorted[0]!, q1: at(0.25), median: at(0.5), q3: at(0.75), max: sorted.at(-1)! };
}
