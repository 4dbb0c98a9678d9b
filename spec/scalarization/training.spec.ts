/**
 * Every scalarizer as a training loss: inside `tf.variableGrads`, `optimizer.minimize` and
 * `record` + `backward`, on a matrix of losses (2 tasks × 3 instances) computed from a variable.
 */
import * as tf from '@tensorflow/tfjs';
import { backward, gradOf, record, zeroGrad } from '../../lib/autograd';
import {
  COSMOS,
  Constant,
  DWA,
  FAMO,
  GeometricMean,
  IMTLL,
  Mean,
  PBI,
  Random,
  STCH,
  Sum,
  UW,
  type Scalarizer,
} from '../../lib/scalarization';
import { expectAllClose, expectMemoryFlat } from './_checks';

const shape = [2, 3];
/** A 2 × 3 option filled with `value`. */
const filled = (value: number) => [0, 1].map(() => [value, value, value]);
const makeAll = (): Scalarizer[] => [
  new Mean(),
  new Sum(),
  new Constant([
    [1, 2, 3],
    [3, 2, 1],
  ]),
  new Random({ seed: 5 }),
  new GeometricMean(),
  new STCH({ mu: 0.5 }),
  new UW({ shape }),
  new IMTLL({ shape }),
  new DWA(),
  new FAMO({ shape }),
  new COSMOS({ lambda: 1, weights: filled(1 / 6) }),
  new PBI({ theta: 2, weights: filled(1) }),
];

const targets = tf.tensor2d([
  [1, 0, -1],
  [0.5, 2, 0],
]);
/** Positive losses (≥ 0.5, so the logarithms of GeometricMean and FAMO are defined). */
const lossesOf = (w: tf.Variable) => tf.tidy(() => tf.add(tf.square(tf.sub(w, targets)), 0.5));
const start = [
  [0, 1, 1],
  [2, -1, 0.5],
];

function release(scalarizer: Scalarizer): void {
  if (scalarizer instanceof UW || scalarizer instanceof IMTLL) scalarizer.dispose();
}

describe.each(makeAll().map((s) => [s.toString(), s]))('%s', (_, scalarizer) => {
  it('gives the same gradient through tf.variableGrads, record + backward and the chain rule', () => {
    const w = tf.variable(tf.tensor2d(start));
    const resetRandom = () => (scalarizer instanceof Random ? scalarizer.reset() : undefined);
    resetRandom();
    const viaVariableGrads = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => scalarizer.apply(lossesOf(w)), [w]);
      return Array.from(grads[w.name].dataSync());
    });
    resetRandom();
    const out = record(() => scalarizer.apply(lossesOf(w)));
    backward(out, { inputs: [w] });
    const viaRecord = Array.from(gradOf(w)!.dataSync());
    zeroGrad();
    out.dispose();
    // Chain rule: ∂s/∂W = ∂s/∂L ⊙ 2 (W − T), with ∂s/∂L from tf.grad on the losses.
    resetRandom();
    const viaChainRule = tf.tidy(() => {
      const gradLosses = tf.grad((l: tf.Tensor) => scalarizer.apply(l))(lossesOf(w));
      return Array.from(tf.mul(gradLosses, tf.mul(2, tf.sub(w, targets))).dataSync());
    });
    expectAllClose(viaRecord, viaVariableGrads, 1e-6, 1e-5);
    expectAllClose(viaChainRule, viaVariableGrads, 1e-6, 1e-5);
    expect(viaVariableGrads.some((g) => g !== 0)).toBe(true);
    w.dispose();
  });

  it('decreases the losses under optimizer.minimize, with flat memory', () => {
    const w = tf.variable(tf.tensor2d(start));
    const optimizer = tf.train.sgd(0.02);
    const meanLoss = () => tf.tidy(() => tf.mean(lossesOf(w)).dataSync()[0]);
    const initial = meanLoss();
    const trainable =
      scalarizer instanceof UW || scalarizer instanceof IMTLL ? scalarizer.trainableVariables : [];
    let step = 0;
    expectMemoryFlat(() => {
      optimizer.minimize(() => scalarizer.apply(lossesOf(w)), false, [w, ...trainable]);
      if (scalarizer instanceof FAMO) {
        const after = lossesOf(w);
        scalarizer.update(after);
        after.dispose();
      }
      if (scalarizer instanceof DWA && ++step % 5 === 0) scalarizer.step();
    }, 60);
    expect(meanLoss()).toBeLessThan(initial * 0.9);
    tf.dispose(w);
    optimizer.dispose();
    release(scalarizer);
  });
});

afterAll(() => targets.dispose());
