/**
 * Softmax of a float64 vector, shifted by its maximum so that no exponential overflows: the
 * weights of `Random` (of normal draws) and of the loss-based scalarizers (DWA, FAMO).
 *
 * @example
 * ```ts
 * softmax([0, Math.log(3)]); // [0.25, 0.75]
 * ```
 */
export function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const total = exps.reduce((s, e) => s + e, 0);
  return exps.map((e) => e / total);
}
