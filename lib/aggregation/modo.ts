import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError, NumericalError } from '../errors';
import { toMatrix64, toTensor1D } from '../linalg/matrix';
import { projectOntoSimplex } from '../linalg/simplex';
import { MatrixWeighting } from './weighting_bases';

/** Options of {@link MoDoWeighting}. */
export interface MoDoOptions {
  /** Step size of the update of the task weights; > 0. Default 0.1. */
  gamma?: number;
  /** ℓ2 regularization of the task weights; ≥ 0. Default 0.1. */
  rho?: number;
}

/**
 * Multi-objective gradient with Double sampling (MoDo), from "Three-Way Trade-Off in Multi-Objective
 * Learning: Optimization, Generalization and Conflict-Avoidance" (Chen et al., JMLR 2024,
 * https://www.jmlr.org/papers/v25/23-1287.html). Each call takes one projected-gradient step on the
 * task weights, `λ ← Π_Δ(λ − γ (M λ + ρ λ))`, from uniform weights at the first call, and returns
 * them.
 *
 * The input `M` must be `J₁ J₂ᵀ`, the product of the Jacobians of two independent mini-batches
 * (not symmetric in general): the single-batch Gramian `J₁ J₁ᵀ` gives a biased step and loses the
 * method's guarantee. Stateful: `reset()` returns to uniform weights, as does a change in the
 * number of objectives.
 *
 * @example
 * ```ts
 * const weighting = new MoDoWeighting({ gamma: 0.1, rho: 0 });
 * const M = tf.matMul(J1, J2, false, true);            // two independent batches
 * const weights = weighting.apply(M);                   // on the probability simplex
 * ```
 */
export class MoDoWeighting extends MatrixWeighting {
  private gammaValue = 0.1;
  private rhoValue = 0.1;
  private lambda: number[] | undefined;

  constructor(options: MoDoOptions = {}) {
    super();
    const { gamma = 0.1, rho = 0.1 } = readOptions(options, 'MoDoWeighting');
    this.gamma = gamma;
    this.rho = rho;
  }

  /** Step size of the weight update; setting it validates it. */
  get gamma(): number {
    return this.gammaValue;
  }
  set gamma(value: number) {
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      throw new InvalidArgumentError('gamma', `expected a finite number > 0, got ${value}.`);
    }
    this.gammaValue = value;
  }

  /** ℓ2 regularization; setting it validates it. */
  get rho(): number {
    return this.rhoValue;
  }
  set rho(value: number) {
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new InvalidArgumentError('rho', `expected a finite number ≥ 0, got ${value}.`);
    }
    this.rhoValue = value;
  }

  /** True once a call has set the task weights, until `reset()`. */
  get hasState(): boolean {
    return this.lambda !== undefined;
  }

  /** Forgets the task weights: the next call starts from uniform ones. */
  reset(): void {
    this.lambda = undefined;
  }

  /** The matrix's values must be finite, checked before the task weights change. */
  protected override readsValues(): boolean {
    return true;
  }

  protected override validate(matrix: tf.Tensor2D): void {
    super.validate(matrix);
    if (matrix.shape[0] !== matrix.shape[1]) {
      throw new InvalidArgumentError(
        'matrix',
        `expected a square matrix J₁J₂ᵀ, got shape [${matrix.shape}].`,
      );
    }
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const M = toMatrix64(matrix);
    const m = M.length;
    const lambda = this.lambda?.length === m ? this.lambda : new Array<number>(m).fill(1 / m);
    const step = M.map(
      (row, i) =>
        lambda[i] -
        this.gammaValue *
          (row.reduce((s, x, k) => s + x * lambda[k], 0) + this.rhoValue * lambda[i]),
    );
    const next = projectOntoSimplex(step);
    if (!next.every(Number.isFinite)) {
      // From a finite M (checked first): the step overflowed. Not kept, it would poison the state.
      throw new NumericalError(
        'MoDoWeighting: the weight update overflowed (non-finite weights); the state is ' +
          'unchanged. Lower `gamma` or scale the matrix.',
      );
    }
    this.lambda = next;
    return toTensor1D(next);
  }

  override toString(): string {
    return `MoDoWeighting(gamma=${this.gammaValue}, rho=${this.rhoValue})`;
  }
}
