/**
 * Euclidean projection of `y` onto the probability simplex `{x ≥ 0, Σx = 1}` (the sort-based
 * algorithm of Held, Wolfe & Crowder 1974; TorchJD's `_projection2simplex`).
 *
 * @example
 * ```ts
 * projectOntoSimplex([0.5, 0.5, 1]); // [1/6, 1/6, 2/3]
 * ```
 */
export function projectOntoSimplex(y: ArrayLike<number>): number[] {
  const m = y.length;
  const sorted = Array.from(y).sort((a, b) => b - a);
  let threshold = (sorted.reduce((s, v) => s + v, 0) - 1) / m;
  let partialSum = 0;
  for (let i = 0; i < m - 1; i++) {
    partialSum += sorted[i];
    const candidate = (partialSum - 1) / (i + 1);
    if (candidate > sorted[i + 1]) {
      threshold = candidate;
      break;
    }
  }
  return Array.from(y, (v) => Math.max(v - threshold, 0));
}
