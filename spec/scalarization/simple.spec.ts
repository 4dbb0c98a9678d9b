import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../../lib/errors';
import {
  Constant,
  GeometricMean,
  Mean,
  Random,
  Sum,
  type Scalarizer,
} from '../../lib/scalarization';
import {
  expectAllClose,
  expectHooksWork,
  expectMatchesReference,
  expectMemoryFlat,
  scalarize,
  valueAndGrad,
} from './_checks';

// Losses of the shapes TorchJD's tests use ([], [5], [3, 4], [2, 3, 4]), filled with fixed values.
const shapes: number[][] = [[], [5], [3, 4], [2, 3, 4]];
// Rows for it.each: the shape as a title, then the shape itself.
const shapeCases = shapes.map((shape) => [JSON.stringify(shape), shape] as const);
const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const filled = (shape: number[], offset = 0) =>
  Array.from({ length: sizeOf(shape) }, (_, i) => offset + Math.sin(3 * i + 1));
const positive = (shape: number[]) => filled(shape).map((v) => v + 1.5);

// Float64 reference formulas, written from the papers' definitions.
const sum = (x: number[]) => x.reduce((s, v) => s + v, 0);
const mean = (x: number[]) => sum(x) / x.length;
const geometricMean = (x: number[]) => Math.exp(mean(x.map(Math.log)));

describe('Mean and Sum', () => {
  it('give the hand-computed values and gradients', () => {
    // mean([1, 2, 3]) = 2 with gradient 1/3 each; sum = 6 with gradient 1 each.
    expect(valueAndGrad(new Mean(), [1, 2, 3])).toEqual({
      value: 2,
      grad: [1 / 3, 1 / 3, 1 / 3].map(Math.fround),
    });
    expect(valueAndGrad(new Sum(), [1, 2, 3])).toEqual({ value: 6, grad: [1, 1, 1] });
    expect(new Mean().toString()).toBe('Mean');
    expect(new Sum().toString()).toBe('Sum');
  });

  it.each(shapeCases)('reduce losses of shape %s like the float64 formula', (_, shape) => {
    expectMatchesReference(new Mean(), mean, filled(shape), shape);
    expectMatchesReference(new Sum(), sum, filled(shape), shape);
  });

  it('are permutation invariant', () => {
    const losses = filled([7]);
    const reversed = [...losses].reverse();
    for (const s of [new Mean(), new Sum()]) {
      expectAllClose([scalarize(s, reversed)], [scalarize(s, losses)], 1e-6, 1e-6);
    }
  });
});

describe('Constant', () => {
  it('weights the losses (TorchJD test_value: 0.1·1 + 0.2·2 + 0.3·3 + 0.4·4 = 3)', () => {
    const { value, grad } = valueAndGrad(new Constant([0.1, 0.2, 0.3, 0.4]), [1, 2, 3, 4]);
    expectAllClose([value], [3], 1e-6, 1e-6);
    expectAllClose(grad, [0.1, 0.2, 0.3, 0.4], 1e-7, 1e-7);
    expect(scalarize(new Constant(tf.tensor1d([2, -1])), [3, 4])).toBe(2);
  });

  it('accepts weights of any shape, matching the losses', () => {
    // [[1, 2], [3, 4]] ⊙ [[1, 0], [0, 1]] summed: 1 + 4 = 5.
    expect(
      scalarize(
        new Constant([
          [1, 0],
          [0, 1],
        ]),
        [1, 2, 3, 4],
        [2, 2],
      ),
    ).toBe(5);
    expect(scalarize(new Constant(tf.scalar(3)), [2], [])).toBe(6);
    for (const shape of shapes) {
      const weights = filled(shape, 0.5);
      const f = (x: number[]) => sum(x.map((v, i) => v * weights[i]));
      expectMatchesReference(new Constant(tf.tensor(weights, shape)), f, filled(shape), shape);
    }
  });

  it('rejects losses of another shape, naming losses', () => {
    const cases: [number[], number[]][] = [
      [[5], [4]],
      [[5], [5, 1]],
      [
        [3, 4],
        [4, 3],
      ],
    ];
    for (const [weightsShape, lossesShape] of cases) {
      const constant = new Constant(tf.ones(weightsShape));
      expect(() => scalarize(constant, tf.ones(lossesShape))).toThrow(InvalidArgumentError);
      expect(() => scalarize(constant, tf.ones(lossesShape))).toThrow(
        /`losses`.*\(5,\)|`losses`.*\(3, 4\)/,
      );
    }
    expect(() => new Constant([])).toThrow(/`weights`/);
    expect(() => new Constant([1, NaN])).toThrow(/`weights`/);
    expect(() => new Constant('a' as unknown as number[])).toThrow(InvalidArgumentError);
  });

  it('shows its weights in its name as TorchJD does', () => {
    expect(new Constant([1, 2]).toString()).toBe('Constant([1., 2.])');
    expect(new Constant(tf.ones([3, 4])).toString()).toBe('Constant(weights of shape (3, 4))');
    expect(new Constant(tf.scalar(1)).toString()).toBe('Constant(weights of shape ())');
  });

  it('copies the weights, so disposing the given tensor does not matter', () => {
    const weights = tf.tensor1d([1, 2]);
    const constant = new Constant(weights);
    weights.dispose();
    expect(scalarize(constant, [1, 1])).toBe(3);
  });
});

describe('Random', () => {
  it('weights are positive and sum to 1 (all-ones losses give 1)', () => {
    const random = new Random({ seed: 0 });
    for (let i = 0; i < 5; i++)
      expectAllClose([scalarize(random, [1, 1, 1, 1, 1])], [1], 1e-6, 1e-6);
    // The gradient is the weight vector itself: positive, summing to 1.
    const { grad } = valueAndGrad(random, [3, -1, 2]);
    expect(grad.every((w) => w > 0)).toBe(true);
    expectAllClose([grad.reduce((s, w) => s + w, 0)], [1], 1e-6, 1e-6);
  });

  it('is reproducible with a seed, redraws at each call, and restarts on reset()', () => {
    const losses = [1, 2, 3, 4];
    const a = new Random({ seed: 7 });
    const b = new Random({ seed: 7 });
    const first = scalarize(a, losses);
    expect(scalarize(b, losses)).toBe(first);
    expect(scalarize(a, losses)).not.toBe(first);
    a.reset();
    expect(scalarize(a, losses)).toBe(first);
    expect(() => new Random({ seed: 0.5 })).toThrow(/`seed`/);
  });

  it('draws softmax(standard normal) weights: their log-ratios have variance 2', () => {
    // For w = softmax(z) with z ~ N(0, I), log(w₀ / w₁) = z₀ − z₁ ~ N(0, 2): a statistical check
    // of the distribution over 4000 draws (the standard error of the variance is ≈ 0.045).
    const random = new Random({ seed: 123 });
    const logRatios: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const { grad } = valueAndGrad(random, [0, 0]);
      logRatios.push(Math.log(grad[0] / grad[1]));
    }
    const m = logRatios.reduce((s, v) => s + v, 0) / logRatios.length;
    const variance = logRatios.reduce((s, v) => s + (v - m) ** 2, 0) / (logRatios.length - 1);
    expect(Math.abs(m)).toBeLessThan(0.1);
    expect(Math.abs(variance - 2)).toBeLessThan(0.2);
  });

  it.each(shapeCases)('returns a finite scalar on losses of shape %s', (_, shape) => {
    const { value, grad } = valueAndGrad(new Random({ seed: 1 }), filled(shape), shape);
    expect(Number.isFinite(value)).toBe(true);
    expect(grad.every(Number.isFinite)).toBe(true);
    expect(new Random().toString()).toBe('Random');
  });
});

describe('GeometricMean', () => {
  it('gives the hand-computed value (geometric mean of 1, 2, 4 is 2)', () => {
    // d/dxᵢ (∏x)^{1/n} = GM / (n xᵢ) = 2 / (3 xᵢ).
    const { value, grad } = valueAndGrad(new GeometricMean(), [1, 2, 4]);
    expectAllClose([value], [2], 1e-6, 1e-6);
    expectAllClose(grad, [2 / 3, 1 / 3, 1 / 6], 1e-6, 1e-5);
    expect(new GeometricMean().toString()).toBe('GeometricMean');
  });

  it.each(shapeCases)('matches the float64 formula on positive losses of shape %s', (_, shape) => {
    expectMatchesReference(new GeometricMean(), geometricMean, positive(shape), shape);
  });

  it('rejects negative losses, naming losses, and accepts tiny positive ones', () => {
    for (const negative of [[1, -1], [-1e-13, 2], [-1]]) {
      expect(() => scalarize(new GeometricMean(), negative)).toThrow(InvalidArgumentError);
      expect(() => scalarize(new GeometricMean(), negative)).toThrow(/`losses`.*negative/);
    }
    expect(Number.isFinite(scalarize(new GeometricMean(), [1, 1e-13]))).toBe(true);
    // As TorchJD (and LibMTL): a zero loss makes the geometric mean 0.
    expect(scalarize(new GeometricMean(), [1, 0])).toBe(0);
  });
});

describe('every simple scalarizer', () => {
  const all = (): Scalarizer[] => [
    new Mean(),
    new Sum(),
    new Constant([1, 2, 3]),
    new Random({ seed: 2 }),
    new GeometricMean(),
  ];

  it('rejects empty losses and non-tensors, naming losses', () => {
    for (const s of all()) {
      expect(() => s.apply(tf.tensor1d([]))).toThrow(InvalidArgumentError);
      expect(() => s.apply(tf.tensor1d([]))).toThrow(/`losses`/);
      expect(() => s.apply([1, 2, 3] as unknown as tf.Tensor)).toThrow(/`losses`.*tf.stack/);
      expect(() => s.apply(tf.tensor1d([1, 2, 3], 'int32'))).toThrow(/`losses`.*float32/);
    }
  });

  it('runs hooks like nn.Module', () => {
    for (const s of all()) expectHooksWork(s, [1, 2, 3]);
  });

  it('keeps memory flat over many applies and gradients', () => {
    const losses = tf.tensor1d([1, 2, 3]);
    for (const s of all()) {
      expectMemoryFlat(() => {
        s.apply(losses).dispose();
        tf.tidy(() => {
          tf.grad((x: tf.Tensor) => s.apply(x))(losses);
        });
      });
    }
    losses.dispose();
  });
});
