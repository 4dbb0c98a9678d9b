/**
 * The cosine between an update and the mean gradient, read from the small Gramian: no Jacobian is
 * needed.
 */

/** `wᵀG1 / √(wᵀGw · 1ᵀG1)`: the cosine between `Jᵀw` and the mean row of `J`, from `G = JJᵀ`. */
export function gramianCosine(gramian: ArrayLike<number>, weights: ArrayLike<number>): number {
  const m = weights.length;
  let wG1 = 0;
  let wGw = 0;
  let oneG1 = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const g = gramian[i * m + j];
      wG1 += weights[i] * g;
      wGw += weights[i] * g * weights[j];
      oneG1 += g;
    }
  }
  return wG1 / Math.sqrt(wGw * oneG1);
}
