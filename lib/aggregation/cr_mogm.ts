import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError } from '../errors';
import { toTensor1D } from '../linalg/matrix';
import { readVectorOption } from '../linalg/vector';
import { checkIsWeighting, Weighting } from './weighting_bases';

/** Options of {@link CRMOGMWeighting}. */
export interface CRMOGMOptions {
  /**
   * Weight of the previous smoothed weights in the moving average, in [0, 1]: 0 returns the wrapped
   * weighting's output unchanged, 1 freezes the weights at their initial value. Default 0.9.
   */
  alpha?: number;
  /** The initial smoothed weights `λ₀`; default the wrapped weighting's first output. */
  initialWeights?: tf.Tensor1D | number[];
}

/** Something with a `reset()` method: a stateful weighting or aggregator. */
interface Resettable {
  reset(): void;
}

function isResettable(value: object): value is Resettable {
  return typeof (value as Partial<Resettable>).reset === 'function';
}

/**
 * Wraps any weighting and smooths its weights across calls with an exponential moving average,
 * `λₖ = α λₖ₋₁ + (1 − α) λ̂ₖ`: the weight-smoothing of "On the Convergence of Stochastic
 * Multi-Objective Gradient Manipulation and Beyond" (Zhou et al., NeurIPS 2022,
 * https://proceedings.neurips.cc/paper_files/paper/2022/hash/f91bd64a3620aad8e70a27ad9cb3ca57-Abstract-Conference.html).
 *
 * It takes whatever its wrapped weighting takes (a Gramian or a matrix), so it goes inside a
 * `GramianWeightedAggregator` or a `WeightedAggregator` like the weighting it wraps. Stateful:
 * `reset()` restarts from `λ₀` and resets the wrapped weighting too when it has a `reset()`.
 * `alpha` can be changed between calls (the paper's Corollary 1 lets it grow toward 1).
 *
 * @example
 * ```ts
 * const aggregator = new GramianWeightedAggregator(new CRMOGMWeighting(new UPGradWeighting()));
 * const smoothed = aggregator.gramianWeighting as CRMOGMWeighting;
 * smoothed.alpha = 1 - currentLr / initialLr;
 * ```
 */
export class CRMOGMWeighting extends Weighting {
  private alphaValue = 0.9;
  private readonly initialWeights: number[] | undefined;
  private previous: number[] | undefined;

  constructor(
    readonly weighting: Weighting,
    options: CRMOGMOptions = {},
  ) {
    super();
    checkIsWeighting(weighting, 'weighting');
    const { alpha = 0.9, initialWeights } = readOptions(options, 'CRMOGMWeighting');
    this.alpha = alpha;
    this.initialWeights =
      initialWeights === undefined ? undefined : readVectorOption(initialWeights, 'initialWeights');
  }

  /** The weight of the past in the moving average; setting it validates it. */
  get alpha(): number {
    return this.alphaValue;
  }
  set alpha(value: number) {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new InvalidArgumentError('alpha', `expected a number in [0, 1], got ${value}.`);
    }
    this.alphaValue = value;
  }

  /** True once a call has set the smoothed weights, until `reset()`. */
  get hasState(): boolean {
    return this.previous !== undefined;
  }

  /** Restarts the smoothing from `λ₀`, and resets the wrapped weighting if it is stateful. */
  reset(): void {
    if (isResettable(this.weighting)) this.weighting.reset();
    this.previous = undefined;
  }

  // The wrapped weighting validates its own argument, under its own name ('gramian' or 'matrix').
  protected override validate(): void {}

  forward(stat: tf.Tensor2D): tf.Tensor1D {
    const fresh = this.weighting.apply(stat);
    const current = Array.from(fresh.dataSync());
    fresh.dispose();
    const m = current.length;
    const previous = this.previous ?? this.initialState(current);
    if (previous.length !== m) {
      throw new InvalidArgumentError(
        'stat',
        `the number of objectives changed from ${previous.length} to ${m}; call reset() first.`,
      );
    }
    const alpha = this.alphaValue;
    this.previous = previous.map((p, i) => alpha * p + (1 - alpha) * current[i]);
    return toTensor1D(this.previous);
  }

  /** `λ₀`: the given initial weights, or the first fresh weights (so the first output is them). */
  private initialState(first: number[]): number[] {
    const m = first.length;
    if (this.initialWeights === undefined) return first;
    if (this.initialWeights.length !== m) {
      throw new InvalidArgumentError(
        'initialWeights',
        `has ${this.initialWeights.length} entries but the weighting gives ${m} weights.`,
      );
    }
    return this.initialWeights;
  }

  override toString(): string {
    return `CRMOGMWeighting(${this.weighting.toString()})`;
  }
}
