import type * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError, NumericalError } from '../errors';
import { matVec, toMatrix64, toTensor1D } from '../linalg/matrix';
import { projectOntoSimplex } from '../linalg/simplex';
import { readVectorOption } from '../linalg/vector';
import { MatrixWeighting } from './weighting_bases';

/** Options of {@link SDMGradWeighting}. */
export interface SDMGradOptions {
  /** Learning rate of the inner projected SGD (> 0). Default 10. */
  lr?: number;
  /** Momentum of the inner SGD, in [0, 1). Default 0.5. */
  momentum?: number;
  /** Inner iterations per call (a positive integer). Default 20. */
  nIter?: number;
  /** Pull towards the preference direction (≥ 0). Default 0.3. */
  lambda?: number;
  /** Preference weights `w̃` (length m); default uniform `1/m` (the mean gradient). */
  prefVector?: tf.Tensor1D | number[];
}

/**
 * The stateful weighting of SDMGrad, from "Direction-oriented Multi-objective Learning: Simple and
 * Provable Stochastic Algorithms" (Xiao et al., NeurIPS 2023, https://arxiv.org/abs/2305.18409).
 *
 * Its input is **not** a Gramian: it is the `m × m` matrix `A = J₁ J₂ᵀ` of two Jacobians computed on
 * independent mini-batches (neither symmetric nor PSD in general). `A` is divided by the squared
 * mean of `√max(A_ii, 0)`, then `nIter` steps of projected SGD with momentum on the simplex update
 * the warm-started weights `w` with gradient `A (w + λ w̃)`; the output is `(w + λ w̃) / (1 + λ)`.
 * The state restarts when `m` changes.
 *
 * @example
 * ```ts
 * const weighting = new SDMGradWeighting({ lambda: 0.3 });
 * weighting.apply(tf.tensor2d([[1, 0, 0], [0, 0.25, 0], [0, 0, 0]]));
 * ```
 */
export class SDMGradWeighting extends MatrixWeighting {
  private lrValue = 10;
  private momentumValue = 0.5;
  private nIterValue = 20;
  private lambdaValue = 0.3;
  private prefVectorValue: number[] | undefined;
  private weights: number[] | null = null;

  constructor(options: SDMGradOptions = {}) {
    super();
    const {
      lr = 10,
      momentum = 0.5,
      nIter = 20,
      lambda = 0.3,
      prefVector,
    } = readOptions(options, 'SDMGradWeighting');
    this.lr = lr;
    this.momentum = momentum;
    this.nIter = nIter;
    this.lambda = lambda;
    this.prefVector = prefVector;
  }

  /** Inner learning rate (> 0). */
  get lr(): number {
    return this.lrValue;
  }
  set lr(value: number) {
    if (!(Number.isFinite(value) && value > 0)) {
      throw new InvalidArgumentError('lr', `expected a number > 0, got ${value}.`);
    }
    this.lrValue = value;
  }

  /** Inner momentum, in [0, 1). */
  get momentum(): number {
    return this.momentumValue;
  }
  set momentum(value: number) {
    if (!(value >= 0 && value < 1)) {
      throw new InvalidArgumentError('momentum', `expected a number in [0, 1), got ${value}.`);
    }
    this.momentumValue = value;
  }

  /** Inner iterations per call (a positive integer). */
  get nIter(): number {
    return this.nIterValue;
  }
  set nIter(value: number) {
    if (!(Number.isInteger(value) && value > 0)) {
      throw new InvalidArgumentError('nIter', `expected a positive integer, got ${value}.`);
    }
    this.nIterValue = value;
  }

  /** Pull towards the preference direction (≥ 0); TorchJD's `lambda_`. */
  get lambda(): number {
    return this.lambdaValue;
  }
  set lambda(value: number) {
    if (!(Number.isFinite(value) && value >= 0)) {
      throw new InvalidArgumentError('lambda', `expected a finite number ≥ 0, got ${value}.`);
    }
    this.lambdaValue = value;
  }

  /** The preference weights, or `undefined` for uniform. */
  get prefVector(): number[] | undefined {
    return this.prefVectorValue === undefined ? undefined : [...this.prefVectorValue];
  }
  set prefVector(value: tf.Tensor1D | number[] | undefined) {
    this.prefVectorValue = value === undefined ? undefined : readVectorOption(value, 'prefVector');
  }

  /** Forgets the warm-started weights: the next call starts from uniform weights. */
  reset(): void {
    this.weights = null;
  }

  /** The matrix's values must be finite, checked before the warm-started weights change. */
  protected override readsValues(): boolean {
    return true;
  }

  protected override validate(matrix: tf.Tensor2D): void {
    super.validate(matrix);
    if (matrix.shape[0] !== matrix.shape[1]) {
      throw new InvalidArgumentError(
        'matrix',
        `expected a square matrix J₁ J₂ᵀ, got shape [${matrix.shape}].`,
      );
    }
    const m = matrix.shape[0];
    if (this.prefVectorValue !== undefined && this.prefVectorValue.length !== m) {
      throw new InvalidArgumentError(
        'prefVector',
        `expected length ${m} (the number of rows of the matrix), got ${this.prefVectorValue.length}.`,
      );
    }
  }

  forward(matrixTensor: tf.Tensor2D): tf.Tensor1D {
    const matrix = toMatrix64(matrixTensor);
    const m = matrix.length;
    const preference = this.prefVectorValue ?? new Array<number>(m).fill(1 / m);
    let w =
      this.weights !== null && this.weights.length === m
        ? this.weights
        : new Array<number>(m).fill(1 / m);
    let meanRoot = 0;
    for (let i = 0; i < m; i++) meanRoot += Math.sqrt(Math.max(matrix[i][i], 0)) / m;
    // Makes the inner learning rate independent of the gradients' magnitude (Section 6.1).
    const divisor = meanRoot * meanRoot + 1e-8;
    const scaled = matrix.map((row) => row.map((v) => v / divisor));
    let velocity: number[] | null = null;
    for (let iteration = 0; iteration < this.nIter; iteration++) {
      const target = w.map((wi, i) => wi + this.lambda * preference[i]);
      const gradient = matVec(scaled, target);
      const v: number[] =
        velocity === null ? gradient : velocity.map((vi, i) => this.momentum * vi + gradient[i]);
      velocity = v;
      w = projectOntoSimplex(w.map((wi, i) => wi - this.lr * v[i]));
    }
    if (!w.every(Number.isFinite)) {
      // Not kept: a NaN in the warm start would make every later call NaN.
      throw new NumericalError(
        'SDMGradWeighting: the inner projected SGD diverged (non-finite weights); the state is ' +
          'unchanged. Lower `lr` or scale the matrix.',
      );
    }
    this.weights = w;
    return toTensor1D(w.map((wi, i) => (wi + this.lambda * preference[i]) / (1 + this.lambda)));
  }

  override toString(): string {
    return 'SDMGradWeighting';
  }
}
