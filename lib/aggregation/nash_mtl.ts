import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError, NumericalError } from '../errors';
import { checkNonNegative } from '../linalg/dual_cone';
import { computeGramian } from '../linalg/gramian';
import { dot, matVec, toMatrix64, toTensor1D, type Matrix64 } from '../linalg/matrix';
import { solveNashSubproblem, strictlyFeasibleDirection } from '../linalg/solvers/nash_mtl';
import {
  isAllFinite,
  nonFiniteMatrixError,
  rejectNonFiniteStatistic,
  WeightedAggregator,
} from './aggregator_bases';
import { MatrixWeighting } from './weighting_bases';

/** Options of {@link NashMTL} and {@link NashMTLWeighting}. */
export interface NashMTLOptions {
  /** Number of objectives: the number of rows of the matrices it receives (a positive integer). */
  nTasks: number;
  /** Largest allowed norm of `Jᵀ w`; 0 disables the clipping. Default 1. */
  maxNorm?: number;
  /** Recompute the weights every this many calls and reuse them in between. Default 1. */
  updateWeightsEvery?: number;
  /** Maximum number of convex sub-problems solved per update. Default 20. */
  optimNiter?: number;
}

/**
 * The stateful weighting of {@link NashMTL}: the Nash bargaining solution `G α = 1/α` approached by
 * a sequence of convex sub-problems (concave-convex procedure), each solved by
 * {@link solveNashSubproblem}, warm-started from the previous call's weights. Stops as TorchJD:
 * when `‖G α − 1/α‖ < 1e-3`, when a sub-problem no longer moves `α` (by 1e-6), or after
 * `optimNiter` sub-problems. A sub-problem that cannot be solved (no feasible point, e.g. a zero
 * row; or unbounded) keeps the previous `α`, as TorchJD does on a cvxpy failure, with one
 * deliberate difference: when the sub-problem is unbounded because it was linearized at a point
 * outside the feasible set (TorchJD's start `α = 1` on strongly conflicting rows, where TorchJD
 * returns the mean direction), the procedure restarts from a strictly feasible point and so still
 * reaches the bargaining solution.
 *
 * Changing an option does not reset the state: call `reset()`.
 *
 * @example
 * ```ts
 * const weighting = new NashMTLWeighting({ nTasks: 2 });
 * weighting.apply(tf.tensor2d([[1, 0], [0, 2]]));
 * ```
 */
export class NashMTLWeighting extends MatrixWeighting {
  private nTasksValue = 1;
  private maxNormValue = 1;
  private updateWeightsEveryValue = 1;
  private optimNiterValue = 20;
  private step = 0;
  private previousAlpha: number[] = [];

  constructor(options: NashMTLOptions) {
    super();
    const {
      nTasks,
      maxNorm = 1,
      updateWeightsEvery = 1,
      optimNiter = 20,
    } = readOptions(options, 'NashMTLWeighting', ['nTasks'], 'new NashMTLWeighting({ nTasks: 2 })');
    this.nTasks = nTasks;
    this.maxNorm = maxNorm;
    this.updateWeightsEvery = updateWeightsEvery;
    this.optimNiter = optimNiter;
    this.reset();
  }

  /** Number of objectives (a positive integer). */
  get nTasks(): number {
    return this.nTasksValue;
  }
  set nTasks(value: number) {
    this.nTasksValue = checkPositiveInteger(value, 'nTasks');
  }

  /** Largest allowed norm of `Jᵀ w` (≥ 0; 0 disables the clipping). */
  get maxNorm(): number {
    return this.maxNormValue;
  }
  set maxNorm(value: number) {
    checkNonNegative(value, 'maxNorm');
    this.maxNormValue = value;
  }

  /** How many calls reuse the same weights (a positive integer). */
  get updateWeightsEvery(): number {
    return this.updateWeightsEveryValue;
  }
  set updateWeightsEvery(value: number) {
    this.updateWeightsEveryValue = checkPositiveInteger(value, 'updateWeightsEvery');
  }

  /** Maximum number of sub-problems per update (a positive integer). */
  get optimNiter(): number {
    return this.optimNiterValue;
  }
  set optimNiter(value: number) {
    this.optimNiterValue = checkPositiveInteger(value, 'optimNiter');
  }

  /** Forgets the previous weights and the call count: the next call behaves as the first. */
  reset(): void {
    this.step = 0;
    this.previousAlpha = new Array<number>(this.nTasks).fill(1);
  }

  protected override validate(matrix: tf.Tensor2D): void {
    super.validate(matrix);
    if (matrix.shape[0] !== this.previousAlpha.length) {
      throw new InvalidArgumentError(
        'matrix',
        `expected ${this.previousAlpha.length} rows (nTasks; call reset() after changing it), got ${matrix.shape[0]}.`,
      );
    }
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const update = this.step % this.updateWeightsEvery === 0;
    if (!update && this.maxNorm === 0) {
      if (!isAllFinite(matrix)) throw nonFiniteMatrixError('matrix');
      this.step += 1;
      return toTensor1D(this.previousAlpha);
    }
    // One pass over the large matrix: the Gramian serves the solve, ‖Jᵀα‖ = √(αᵀGα) and the
    // finiteness check (a NaN or ∞ in the matrix always reaches it).
    const gramian = tf.tidy(() => toMatrix64(computeGramian(matrix)));
    if (!gramian.every((row) => row.every(Number.isFinite))) {
      rejectNonFiniteStatistic(matrix, 'Gramian');
    }
    const next = update ? this.solve(gramian) : this.previousAlpha;
    if (!next.every(Number.isFinite)) {
      // Not kept: the next calls warm-start from it.
      throw new NumericalError(
        'NashMTLWeighting: the solver gave non-finite weights; the state is unchanged.',
      );
    }
    this.step += 1;
    this.previousAlpha = next;
    let alpha = this.previousAlpha;
    if (this.maxNorm > 0) {
      const norm = Math.sqrt(Math.max(dot(alpha, matVec(gramian, alpha)), 0));
      if (norm > this.maxNorm) alpha = alpha.map((a) => (a / norm) * this.maxNorm);
    }
    return toTensor1D(alpha);
  }

  private solve(gramian: Matrix64): number[] {
    let scale = 0;
    for (const row of gramian) for (const v of row) scale += v * v;
    scale = Math.sqrt(scale);
    // A zero (or overflowing) Gramian has no bargaining solution: keep the previous weights.
    if (!(scale > 0 && Number.isFinite(scale))) return this.previousAlpha;
    const normalized = gramian.map((row) => row.map((v) => v / scale));
    let alpha = this.previousAlpha;
    for (let iteration = 0; iteration < this.optimNiter; iteration++) {
      // TorchJD solves the sub-problem, then stops if its INPUT was stationary and keeps that
      // input: testing first gives the same weights without the solve whose result is dropped.
      const gAlpha = matVec(normalized, alpha);
      const stationarity = Math.hypot(...gAlpha.map((g, i) => g - 1 / (alpha[i] + 1e-10)));
      if (stationarity < 1e-3) break;
      let next: number[];
      try {
        next = solveNashSubproblem(normalized, scale, alpha);
      } catch (error) {
        if (!(error instanceof NumericalError)) throw error;
        next = alpha;
        // Linearized at a point outside the feasible set (TorchJD's first point α = 1 when the
        // objectives conflict), the sub-problem can be unbounded: TorchJD then keeps α = 1, the
        // mean direction. Restarting the procedure from a feasible point instead reaches the
        // bargaining solution; where none exists, the previous weights are kept as in TorchJD.
        if (gAlpha.some((g) => !(g > 0))) {
          try {
            const feasible = strictlyFeasibleDirection(normalized);
            const gFeasible = matVec(normalized, feasible);
            const k = Math.sqrt(1 / Math.min(...feasible.map((a, i) => scale * a * gFeasible[i])));
            alpha = feasible.map((a) => a * k);
            continue;
          } catch (restartError) {
            if (!(restartError instanceof NumericalError)) throw restartError;
          }
        }
      }
      // TorchJD's absolute 1e-6, made relative below ‖α‖ = 1: on a Jacobian scaled by 1e6 the
      // weights are ~1e-6 and an absolute test would stop after the first sub-problem.
      const size = Math.min(1, Math.hypot(...alpha));
      if (Math.hypot(...next.map((v, i) => v - alpha[i])) < 1e-6 * size) break;
      alpha = next;
    }
    return alpha;
  }

  override toString(): string {
    return 'NashMTLWeighting';
  }
}

/**
 * Nash-MTL: weights the rows by the Nash bargaining solution between the objectives, `G α = 1/α`,
 * then clips the norm of the update to `maxNorm`. From Algorithm 1 of "Multi-Task Learning as a
 * Bargaining Game" (Navon et al., ICML 2022, https://arxiv.org/abs/2202.01017), as adapted by
 * TorchJD from the official implementation. Stateful: call `reset()` between experiments.
 *
 * @example
 * ```ts
 * const aggregator = new NashMTL({ nTasks: 2 });
 * aggregator.apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]]));
 * aggregator.reset();
 * ```
 */
export class NashMTL extends WeightedAggregator {
  declare readonly weighting: NashMTLWeighting;

  constructor(options: NashMTLOptions) {
    super(
      new NashMTLWeighting(
        readOptions(options, 'NashMTL', ['nTasks'], 'new NashMTL({ nTasks: 2 })'),
      ),
      true,
    );
  }

  /** See {@link NashMTLWeighting.nTasks}. */
  get nTasks(): number {
    return this.weighting.nTasks;
  }
  set nTasks(value: number) {
    this.weighting.nTasks = value;
  }

  /** See {@link NashMTLWeighting.maxNorm}. */
  get maxNorm(): number {
    return this.weighting.maxNorm;
  }
  set maxNorm(value: number) {
    this.weighting.maxNorm = value;
  }

  /** See {@link NashMTLWeighting.updateWeightsEvery}. */
  get updateWeightsEvery(): number {
    return this.weighting.updateWeightsEvery;
  }
  set updateWeightsEvery(value: number) {
    this.weighting.updateWeightsEvery = value;
  }

  /** See {@link NashMTLWeighting.optimNiter}. */
  get optimNiter(): number {
    return this.weighting.optimNiter;
  }
  set optimNiter(value: number) {
    this.weighting.optimNiter = value;
  }

  /** Resets the weighting's state (see {@link NashMTLWeighting.reset}). */
  reset(): void {
    this.weighting.reset();
  }

  override toString(): string {
    return 'NashMTL';
  }
}

function checkPositiveInteger(value: number, argument: string): number {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new InvalidArgumentError(argument, `expected a positive integer, got ${value}.`);
  }
  return value;
}
