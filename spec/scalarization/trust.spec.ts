/**
 * What every scalarizer does with losses it cannot trust: NaN or ±∞ (an `InvalidArgumentError`
 * naming `losses`, before the state of DWA and FAMO changes), finite losses that overflow (a
 * `NumericalError`), disposed tensors and missing options.
 */
import * as tf from '@tensorflow/tfjs';
import { scalarization } from '../../lib/index';
import { InvalidArgumentError, NumericalError } from '../../lib/errors';
import { disposeScalarizer, SCALARIZERS } from './_all_scalarizers';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe.each(SCALARIZERS)('$name', ({ make }) => {
  it.each([NaN, Infinity, -Infinity])('rejects a %s loss naming losses, leaking nothing', (bad) => {
    const s = make([3]);
    const losses = tf.tensor1d([1, bad, 2]);
    const before = tf.memory().numTensors;
    const error = thrown(() => s.apply(losses));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('losses');
    expect(tf.memory().numTensors).toBe(before);
    losses.dispose();
    disposeScalarizer(s);
  });

  it('rejects disposed losses naming losses', () => {
    const s = make([2]);
    const losses = tf.tensor1d([1, 2]);
    losses.dispose();
    expect(() => s.apply(losses)).toThrow(/`losses`.*disposed/);
    disposeScalarizer(s);
  });
});

describe('overflow', () => {
  it('finite losses whose sum overflows float32 give a NumericalError, leaking nothing', () => {
    const losses = tf.tensor1d([3e38, 3e38]);
    const before = tf.memory().numTensors;
    expect(() => new scalarization.Sum().apply(losses)).toThrow(NumericalError);
    expect(tf.memory().numTensors).toBe(before);
    losses.dispose();
  });
});

describe('FAMO and ±∞', () => {
  it('a +∞ loss in apply or update is refused and the logits stay finite and unchanged', () => {
    const famo = new scalarization.FAMO({ shape: 2 });
    const good = tf.tensor1d([2, 3]);
    const after = tf.tensor1d([1.5, 2.9]);
    const infinite = tf.tensor1d([Infinity, 1]);
    famo.apply(good).dispose();
    expect(() => famo.update(infinite)).toThrow(/`newLosses`.*loss 0 is Infinity/);
    expect(famo.logits).toEqual([0, 0]);
    expect(() => famo.apply(infinite)).toThrow(/`losses`.*Infinity/);
    famo.update(after); // still refers to the last accepted losses
    expect(famo.logits.every(Number.isFinite)).toBe(true);
    expect(famo.logits).not.toEqual([0, 0]);
    tf.dispose([good, after, infinite]);
  });

  it('a disposed newLosses names newLosses', () => {
    const famo = new scalarization.FAMO({ shape: 2 });
    const good = tf.tensor1d([2, 3]);
    famo.apply(good).dispose();
    good.dispose();
    expect(() => famo.update(good)).toThrow(/`newLosses`.*disposed/);
  });
});

describe('DWA says the real cause', () => {
  const epoch = (dwa: scalarization.DWA, values: number[]) => {
    const losses = tf.tensor1d(values);
    dwa.apply(losses).dispose();
    losses.dispose();
    dwa.step();
  };

  it('a NaN or ∞ loss is refused before it enters the epoch sum', () => {
    const dwa = new scalarization.DWA();
    epoch(dwa, [1, 2]);
    const bad = tf.tensor1d([NaN, 1]);
    expect(() => dwa.apply(bad)).toThrow(/loss 0 is NaN/);
    bad.dispose();
    epoch(dwa, [2, 2]);
    const losses = tf.tensor1d([1, 1]);
    // Weights from the averages [1, 2] then [2, 2]: finite, summing to 2.
    const weights = dwa.currentWeights(2);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(2, 10);
    expect(weights[0]).toBeGreaterThan(weights[1]);
    losses.dispose();
  });

  it('a zero average names the loss and the zero', () => {
    const dwa = new scalarization.DWA();
    epoch(dwa, [0, 2]);
    epoch(dwa, [1, 2]);
    const losses = tf.tensor1d([1, 1]);
    expect(() => dwa.apply(losses)).toThrow(/loss 0 averaged 0/);
    losses.dispose();
  });

  it('a changed number of losses is named as such, even after one epoch', () => {
    const dwa = new scalarization.DWA();
    epoch(dwa, [1, 2]);
    const three = tf.tensor1d([1, 2, 3]);
    expect(() => dwa.apply(three)).toThrow(/shape changed from \(2,\) to \(3,\)/);
    epoch(dwa, [1, 1]);
    expect(() => dwa.currentWeights(3)).toThrow(/had 2 losses, not 3/);
    three.dispose();
  });
});

describe('missing options', () => {
  it.each([
    ['STCH', scalarization.STCH],
    ['PBI', scalarization.PBI],
    ['COSMOS', scalarization.COSMOS],
    ['FAMO', scalarization.FAMO],
    ['UW', scalarization.UW],
    ['IMTLL', scalarization.IMTLL],
  ] as [string, unknown][])('new %s() names options and shows a correct call', (name, cls) => {
    const error = thrown(() => new (cls as new () => unknown)()) as InvalidArgumentError;
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.argument).toBe('options');
    expect(error.message).toContain(`new scalarization.${name}({`);
  });
});
