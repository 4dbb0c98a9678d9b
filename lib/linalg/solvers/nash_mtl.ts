import { NumericalError } from '../../errors';
import { dot, matVec, type Matrix64 } from '../matrix';
import { solveLinearSystem } from './dense_solve';

/**
 * Solves one convex sub-problem of Nash-MTL's sequential procedure (Section 3.2 of "Multi-Task
 * Learning as a Bargaining Game", Navon et al., ICML 2022), as TorchJD states it for cvxpy:
 *
 *     minimize over α ≥ 0   1ᵀ G α + φ′(α_prev)ᵀ (α − α_prev) / s
 *     subject to           log(s α_i) + log((G α)_i) ≥ 0   for every i
 *
 * where `G` is the Gramian divided by `s` (its Frobenius norm) and
 * `φ′(α_prev) = 1 / α_prev + Gᵀ (1 / (G α_prev))` linearizes the concave part of the objective.
 *
 * The objective is linear and every constraint is convex (a sum of `−log` of affine functions),
 * so we use a log-barrier interior-point method: Newton's method with a feasibility-preserving
 * backtracking line search on `t·cᵀα − Σ log(gᵢ(α))`, with `t` multiplied by 100 until the duality
 * gap `m / t` is below `gapTolerance` times the objective's magnitude.
 *
 * The linearization point `α_prev` need not be feasible: when the objectives conflict, TorchJD's
 * first point `α = 1` has some `(G α_prev)_i < 0`, and its solver (ECOS, a primal-dual method)
 * solves the sub-problem anyway. The barrier method starts from `α_prev` scaled to be strictly
 * feasible when `G α_prev > 0`, else from a phase-1 point (some `α > 0` with `G α > 0`, found by
 * Frank-Wolfe on the min-norm point of the rows' convex hull), so it reaches the same optimum.
 *
 * Throws `NumericalError` when the sub-problem has no solution, as ECOS reports it to TorchJD:
 * no strictly feasible point (0 in the convex hull of the rows, e.g. a zero row or two opposite
 * rows), an undefined linearization (a zero entry of `G α_prev`), an unbounded problem (the iterates
 * diverge), or a singular Newton system. The caller keeps its previous weights, as TorchJD does.
 *
 * @example
 * ```ts
 * // One objective: α G α s = 1 at the optimum, so α = 1/√(G s) = 1 for G = [[1]], s = 1.
 * solveNashSubproblem([[1]], 1, [1]); // ≈ [1]
 * ```
 */
export function solveNashSubproblem(
  gramian: Matrix64,
  scale: number,
  previous: ArrayLike<number>,
  { gapTolerance = 1e-9, maxNewtonSteps = 200 } = {},
): number[] {
  const m = gramian.length;
  const prev = Array.from(previous);
  const gPrev = matVec(gramian, prev);
  // The linearization point need not be feasible (TorchJD's first one, α = 1, is not when the
  // objectives conflict): only the tangent has to exist.
  if (!prev.every((v) => v > 0 && Number.isFinite(v)) || !gPrev.every((v) => v !== 0)) {
    throw new NumericalError(
      'Nash-MTL: the linearization point has a zero weight or a zero entry of G α.',
    );
  }
  const inverseGPrev = gPrev.map((v) => 1 / v);
  const tangent = prev.map(
    (a, i) =>
      1 / a +
      dot(
        gramian.map((row) => row[i]),
        inverseGPrev,
      ),
  );
  const columnSums = gramian[0].map((_, j) => gramian.reduce((s, row) => s + row[j], 0));
  const cost = columnSums.map((g, j) => g + tangent[j] / scale);
  if (!cost.every(Number.isFinite)) {
    throw new NumericalError('Nash-MTL: the linearized objective is not finite.');
  }

  // Flat work arrays: the Newton loop runs some thirty steps per call, on every training step.
  const g = new Float64Array(m * m);
  gramian.forEach((row, i) => g.set(row, i * m));
  const multiply = (x: Float64Array, out: Float64Array) => {
    for (let i = 0; i < m; i++) {
      let sum = 0;
      for (let j = 0; j < m; j++) sum += g[i * m + j] * x[j];
      out[i] = sum;
    }
  };
  const work = new Float64Array(m);
  /** `t·cᵀα − Σ log(log(s αᵢ (Gα)ᵢ))`, or ∞ outside the strictly feasible set. */
  const barrier = (a: Float64Array, t: number): number => {
    multiply(a, work);
    let logSum = 0;
    let linear = 0;
    for (let i = 0; i < m; i++) {
      if (!(a[i] > 0 && work[i] > 0)) return Infinity;
      const slackValue = Math.log(scale * a[i] * work[i]);
      if (!(slackValue > 0)) return Infinity;
      logSum += Math.log(slackValue);
      linear += cost[i] * a[i];
    }
    return t * linear - logSum;
  };
  // Strictly feasible start: α_prev when α_prev > 0 and G α_prev > 0 (warm, the usual case in the
  // sequential procedure), else a phase-1 point. Scaling α by k multiplies every s α_i (Gα)_i by
  // k². Scaling to the smallest product 2e (slack log(2e) > 0) also brings a far-away start close
  // to the boundary, where the constraints of the optimum are active.
  const warm = gPrev.every((v) => v > 0);
  const start = warm ? prev : strictlyFeasibleDirection(gramian);
  const gStart = warm ? gPrev : matVec(gramian, start);
  const minProduct = Math.min(...start.map((a, i) => scale * a * gStart[i]));
  let alpha: Float64Array = Float64Array.from(
    start,
    (a) => a * Math.sqrt((2 * Math.E) / minProduct),
  );
  // Far beyond any solution's scale (s α_i (Gα)_i = 1 at active constraints, ‖G‖ = 1): unbounded.
  const divergence = 1e10 / Math.sqrt(scale);

  const ga = new Float64Array(m);
  const slack = new Float64Array(m);
  const gradient = new Float64Array(m);
  const hessian = new Float64Array(m * m);
  const constraintGradient = new Float64Array(m);
  const gDirection = new Float64Array(m);
  // The duality gap m/t is made small relative to the objective's magnitude, Σ|cᵢαᵢ| (not |cᵀα|,
  // which cancels), with no absolute floor: on a Jacobian scaled by 1e6 the weights are ~1e-6 and
  // so is the objective, and an absolute gap of 1e-9 would leave them accurate to 1e-3 only.
  let objectiveScale = 0;
  for (let i = 0; i < m; i++) objectiveScale += Math.abs(cost[i] * alpha[i]);
  objectiveScale = Math.max(objectiveScale, Number.MIN_VALUE);
  // Starting at a gap of 1e-4 of the objective's magnitude skips the early centering steps: α_prev
  // is warm (near the optimum) in the sequential procedure. A phase-1 start is not: start at a
  // gap of the objective's magnitude, so the first centering steps are not tiny.
  const firstGap = warm ? 1e-4 : 1;
  for (let t = m / (firstGap * objectiveScale); m / t > gapTolerance * objectiveScale; t *= 100) {
    for (let step = 0; step < maxNewtonSteps; step++) {
      multiply(alpha, ga);
      for (let i = 0; i < m; i++) slack[i] = Math.log(scale * alpha[i] * ga[i]);
      for (let j = 0; j < m; j++) gradient[j] = t * cost[j];
      hessian.fill(0);
      for (let i = 0; i < m; i++) {
        // ∇gᵢ = eᵢ/αᵢ + Gᵢ/(Gα)ᵢ ;  ∇²gᵢ = −eᵢeᵢᵀ/αᵢ² − GᵢGᵢᵀ/(Gα)ᵢ²
        const inverseSlack = 1 / slack[i];
        const inverseGa = 1 / ga[i];
        for (let j = 0; j < m; j++) {
          constraintGradient[j] = g[i * m + j] * inverseGa + (i === j ? 1 / alpha[i] : 0);
        }
        for (let j = 0; j < m; j++) {
          gradient[j] -= constraintGradient[j] * inverseSlack;
          for (let k = 0; k < m; k++) {
            const curvature =
              (i === j && i === k ? 1 / alpha[i] ** 2 : 0) +
              g[i * m + j] * g[i * m + k] * inverseGa * inverseGa;
            hessian[j * m + k] +=
              constraintGradient[j] * constraintGradient[k] * inverseSlack * inverseSlack +
              curvature * inverseSlack;
          }
        }
      }
      const hessianRows = Array.from({ length: m }, (_, j) =>
        Array.from(hessian.subarray(j * m, (j + 1) * m)),
      );
      const direction = Float64Array.from(solveLinearSystem(hessianRows, gradient), (v) => -v);
      let decrement = 0;
      for (let j = 0; j < m; j++) decrement -= gradient[j] * direction[j];
      if (decrement / 2 <= 1e-9) break;
      const current = barrier(alpha, t);
      // Fraction to the boundary of {α > 0, Gα > 0} (linear), so few trial steps are infeasible.
      multiply(direction, gDirection);
      let stepSize = 1;
      for (let i = 0; i < m; i++) {
        if (direction[i] < 0) stepSize = Math.min(stepSize, (-0.99 * alpha[i]) / direction[i]);
        if (gDirection[i] < 0) stepSize = Math.min(stepSize, (-0.99 * ga[i]) / gDirection[i]);
      }
      let next: Float64Array | null = null;
      const candidate = new Float64Array(m);
      for (let halving = 0; halving < 40; halving++) {
        for (let i = 0; i < m; i++) candidate[i] = alpha[i] + stepSize * direction[i];
        if (barrier(candidate, t) <= current - 0.25 * stepSize * decrement) {
          next = candidate;
          break;
        }
        stepSize /= 2;
      }
      if (next === null) break; // No progress possible in floating point.
      alpha = next;
      if (!alpha.every((a) => Number.isFinite(a) && a < divergence)) {
        throw new NumericalError('Nash-MTL: the sub-problem is unbounded or diverges.');
      }
    }
  }
  return Array.from(alpha);
}

/**
 * Phase 1 of {@link solveNashSubproblem}: some `α > 0` with `G α > 0` (any positive multiple is
 * then strictly feasible), or `NumericalError` when none exists (0 in the convex hull
 * of the rows, e.g. two opposite rows or a zero row). Frank-Wolfe on the min-norm point of the
 * hull, `min λᵀGλ` over the simplex, stops at the first `λ` with `G λ > 0` (by a margin of
 * 1e-10 of G's largest diagonal entry, below which it is float32 rounding): at the minimum,
 * `(G λ)_i ≥ λᵀGλ` for every `i`, so such a `λ` exists exactly when the minimum is positive.
 * Mixing in a little of the uniform vector then makes every entry positive and keeps `G α > 0`.
 *
 * @example
 * ```ts
 * strictlyFeasibleDirection([[18, -22], [-22, 38]]); // α with 18α₀ − 22α₁ > 0 and 38α₁ − 22α₀ > 0
 * ```
 */
export function strictlyFeasibleDirection(gramian: Matrix64, maxIterations = 5000): number[] {
  const m = gramian.length;
  const lambda = new Array<number>(m).fill(1 / m);
  const gOnes = gramian.map((row) => row.reduce((s, v) => s + v, 0));
  // A margin below this is rounding noise (G comes from float32 Jacobians): a matrix of rank r < m
  // rounded to float32 has rows whose hull misses 0 by ~1e-7 of their norms, i.e. a min-norm point
  // ~1e-14 of G's diagonal. Treating it as feasible would give weights ~1e7 built on noise.
  const margin = 1e-10 * Math.max(...gramian.map((row, i) => Math.abs(row[i])));
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const gl = matVec(gramian, lambda);
    let worst = 0;
    for (let i = 1; i < m; i++) if (gl[i] < gl[worst]) worst = i;
    const q = dot(lambda, gl);
    if (gl[worst] > margin) {
      // G(λ + ε1) = Gλ + ε G1 stays positive for ε below this bound.
      const epsilon = Math.min(
        1 / m,
        (0.5 * gl[worst]) / Math.max(...gOnes.map(Math.abs), Number.MIN_VALUE),
      );
      return lambda.map((l) => l + epsilon);
    }
    // The hull's min-norm point is (numerically) 0: no direction improves every objective.
    // Every later iterate has λᵀGλ ≤ q, and min (Gλ)ᵢ ≤ λᵀGλ: none can pass the margin.
    if (!(q > margin)) break;
    // Exact line search towards the vertex of the most violated objective.
    const curvature = gramian[worst][worst] - 2 * gl[worst] + q;
    const step = curvature > 0 ? Math.min(1, (q - gl[worst]) / curvature) : 1;
    for (let i = 0; i < m; i++) lambda[i] *= 1 - step;
    lambda[worst] += step;
  }
  throw new NumericalError(
    'Nash-MTL: no strictly feasible point (no α ≥ 0 makes every entry of G α positive).',
  );
}
