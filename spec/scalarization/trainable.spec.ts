import * as tf from '@tensorflow/tfjs';
import { backward, gradOf, record, zeroGrad } from '../../lib/autograd';
import { InvalidArgumentError } from '../../lib/errors';
import { IMTLL, UW } from '../../lib/scalarization';
import {
  centralDifferences,
  expectAllClose,
  expectHooksWork,
  expectMatchesReference,
  expectMemoryFlat,
  scalarize,
} from './_checks';

// Float64 reference formulas of the papers, as functions of the losses L and the parameters s.
const uw = (s: number[]) => (L: number[]) =>
  L.reduce((t, l, i) => t + 0.5 * Math.exp(-s[i]) * l + 0.5 * s[i], 0);
const imtl = (s: number[]) => (L: number[]) =>
  L.reduce((t, l, i) => t + Math.exp(s[i]) * l - s[i], 0);

/** The gradient of `scalarizer(losses)` with respect to its parameter, by `tf.variableGrads`. */
function parameterGrad(scalarizer: UW | IMTLL, losses: number[]): number[] {
  return tf.tidy(() => {
    const x = tf.tensor1d(losses);
    const { grads } = tf.variableGrads(() => scalarizer.apply(x), scalarizer.trainableVariables);
    return Array.from(grads[scalarizer.trainableVariables[0].name].dataSync());
  });
}

describe.each([
  ['UW', (shape: number | number[]) => new UW({ shape }), uw],
  ['IMTLL', (shape: number | number[]) => new IMTLL({ shape }), imtl],
] as const)('%s', (name, make, formula) => {
  it('starts at the initial value TorchJD documents', () => {
    // Parameters at 0: UW is ½ Σ L = 3.5 and IMTL-L is Σ L = 7 on [1, 2, 4].
    const s = make(3);
    expect(scalarize(s, [1, 2, 4])).toBe(name === 'UW' ? 3.5 : 7);
    expect(s.toString()).toBe(name);
    expect(s.trainableVariables).toHaveLength(1);
    expect(s.trainableVariables[0].trainable).toBe(true);
    expect(s.trainableVariables[0].shape).toEqual([3]);
    expect(make([2, 3]).trainableVariables[0].shape).toEqual([2, 3]);
    tf.dispose(s.trainableVariables);
  });

  it('matches the float64 formula, with respect to the losses and to its parameters', () => {
    const params = [0.3, -0.7, 1.2];
    const losses = [0.5, 2, 4];
    const s = make(3);
    s.trainableVariables[0].assign(tf.tensor1d(params));
    expectMatchesReference(s, formula(params), losses);
    const byParams = centralDifferences((p) => formula(p)(losses), params);
    expectAllClose(parameterGrad(s, losses), byParams, 1e-4, 1e-4);
    s.trainableVariables[0].dispose();
  });

  it('works on a matrix of losses with a matrix of parameters', () => {
    const s = make([2, 2]);
    const params = [0.1, -0.2, 0.3, 0.5];
    s.trainableVariables[0].assign(tf.tensor2d(params, [2, 2]));
    expectMatchesReference(s, formula(params), [1, 2, 3, 4], [2, 2]);
    s.trainableVariables[0].dispose();
  });

  it('trains its parameters with optimizer.minimize as the closed-form SGD steps predict', () => {
    // With fixed losses L, SGD on s follows s ← s − lr ∂f/∂s, where ∂f/∂s is
    // −½ e^{−s} L + ½ (UW) or e^{s} L − 1 (IMTL-L), computed here in float64.
    const losses = [2, 5, 0.5];
    const lr = 0.1;
    const s = make(3);
    const optimizer = tf.train.sgd(lr);
    const x = tf.tensor1d(losses);
    let expected = [0, 0, 0];
    for (let step = 0; step < 10; step++) {
      optimizer.minimize(() => s.apply(x), false, s.trainableVariables);
      expected = expected.map((si, i) => {
        const slope =
          name === 'UW' ? -0.5 * Math.exp(-si) * losses[i] + 0.5 : Math.exp(si) * losses[i] - 1;
        return si - lr * slope;
      });
    }
    expectAllClose(Array.from(s.trainableVariables[0].dataSync()), expected, 1e-5, 1e-5);
    // Both converge towards the balancing point: σ² = L for UW, e^{s} = 1/L for IMTL-L.
    for (let step = 0; step < 400; step++) {
      optimizer.minimize(() => s.apply(x), false, s.trainableVariables);
    }
    const target = losses.map((l) => (name === 'UW' ? Math.log(l) : -Math.log(l)));
    expectAllClose(Array.from(s.trainableVariables[0].dataSync()), target, 1e-3, 1e-3);
    tf.dispose([x, ...s.trainableVariables]);
    optimizer.dispose();
  });

  it('is trained by a plain optimizer.minimize (its variable is trainable) and inside record', () => {
    const s = make(2);
    const x = tf.tensor1d([2, 5]);
    tf.train.sgd(0.1).minimize(() => s.apply(x));
    expect(Array.from(s.trainableVariables[0].dataSync())).not.toEqual([0, 0]);
    s.reset();
    expect(Array.from(s.trainableVariables[0].dataSync())).toEqual([0, 0]);
    // record + backward accumulates the same gradient as the closed form at s = 0.
    const out = record(() => s.apply(x));
    backward(out, { inputs: s.trainableVariables });
    const expected = name === 'UW' ? [-0.5 * 2 + 0.5, -0.5 * 5 + 0.5] : [2 - 1, 5 - 1];
    expectAllClose(Array.from(gradOf(s.trainableVariables[0])!.dataSync()), expected, 1e-6);
    zeroGrad();
    tf.dispose([out, x, ...s.trainableVariables]);
  });

  it('accepts negative losses (no positivity precondition)', () => {
    const s = make(3);
    expect(Number.isFinite(scalarize(s, [-1, -2, 3]))).toBe(true);
    s.trainableVariables[0].dispose();
  });

  it('rejects losses of another shape and bad shapes, naming them', () => {
    const cases: [number[], number[]][] = [
      [[5], [4]],
      [[5], [5, 1]],
      [
        [3, 4],
        [4, 3],
      ],
    ];
    for (const [paramShape, lossesShape] of cases) {
      const s = make(paramShape);
      expect(() => scalarize(s, tf.ones(lossesShape))).toThrow(InvalidArgumentError);
      expect(() => scalarize(s, tf.ones(lossesShape))).toThrow(/`losses`/);
      s.trainableVariables[0].dispose();
    }
    for (const shape of [0, -1, 1.5, [2, 0], 'a']) {
      expect(() => make(shape as number)).toThrow(/`shape`/);
    }
  });

  it('runs hooks and keeps memory flat over training loops', () => {
    const s = make(3);
    expectHooksWork(s, [1, 2, 3]);
    const x = tf.tensor1d([1, 2, 3]);
    const optimizer = tf.train.adam(0.01);
    expectMemoryFlat(() => {
      optimizer.minimize(() => s.apply(x), false, s.trainableVariables);
      s.apply(x).dispose();
    });
    const before = tf.memory().numTensors;
    s.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    x.dispose();
    optimizer.dispose();
  });
});

it('IMTL-L is twice UW at the negated parameters (TorchJD test)', () => {
  const s = [0.3, -0.7, 1.2];
  const imtlL = new IMTLL({ shape: 3 });
  const uncertainty = new UW({ shape: [3] });
  imtlL.logScale.assign(tf.tensor1d(s));
  uncertainty.logVar.assign(tf.tensor1d(s.map((v) => -v)));
  const values = [0.5, 2, 4];
  expectAllClose([scalarize(imtlL, values)], [2 * scalarize(uncertainty, values)], 1e-5, 1e-6);
  imtlL.dispose();
  uncertainty.dispose();
});
