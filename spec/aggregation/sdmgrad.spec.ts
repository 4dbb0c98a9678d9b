import * as tf from '@tensorflow/tfjs';
import { SDMGradWeighting } from '../../lib/aggregation/sdmgrad';
import { InvalidArgumentError } from '../../lib/errors';
import { Rng, type Rows } from './_matrices';
import { assertMemoryFlat } from './_properties';

const weightsOf = (weighting: SDMGradWeighting, rows: Rows) =>
  tf.tidy(() => Array.from(weighting.apply(tf.tensor2d(rows)).dataSync()));
const expectClose = (actual: number[], expected: number[]) =>
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
const crossProduct = (rng: Rng, m: number, n: number): Rows => {
  const a = rng.normals(m, n);
  const b = rng.normals(m, n);
  return a.map((r) => b.map((s) => r.reduce((acc, v, k) => acc + v * s[k], 0)));
};
const diag = [
  [1, 0, 0],
  [0, 0.25, 0],
  [0, 0, 0],
];

describe('SDMGradWeighting', () => {
  it('follows one inner step computed by hand', () => {
    // scale = mean(√[1, 0.25, 0]) = ½, so A/scale² = diag(4, 1, 0); grad = A·1.3·[⅓,⅓,⅓];
    // w − 10 grad = [−16.9…, −4…, ⅓] projects to [0, 0, 1]; output ([0,0,1] + 0.3/3)/1.3.
    const weighting = new SDMGradWeighting({ lr: 10, momentum: 0.5, nIter: 1, lambda: 0.3 });
    expectClose(weightsOf(weighting, diag), [1 / 13, 1 / 13, 11 / 13]);
    // Warm start from [0, 0, 1] with A = I: w − 10·[0.1, 0.1, 1.1] projects to [½, ½, 0].
    expectClose(
      weightsOf(weighting, [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
      [6 / 13, 6 / 13, 1 / 13],
    );
  });

  it('uses the preference vector', () => {
    // grad = diag(4,1,0)·([⅓,⅓,⅓] + 0.3·[0,0,1]) = [4/3, 1/3, 0] → w = [0, 0, 1] → output [0, 0, 1].
    const weighting = new SDMGradWeighting({ nIter: 1, prefVector: [0, 0, 1] });
    expectClose(weightsOf(weighting, diag), [0, 0, 1]);
    expect(() => new SDMGradWeighting({ prefVector: [0.5, 0.5] }).apply(tf.tensor2d(diag))).toThrow(
      /`prefVector`/,
    );
  });

  it('stays on the simplex, restarts on a new m and after reset()', () => {
    const rng = new Rng(5);
    const a = crossProduct(rng, 4, 10);
    const weighting = new SDMGradWeighting();
    const first = weightsOf(weighting, a);
    expect(first.every((w) => w >= 0)).toBe(true);
    expect(first.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 6);
    weightsOf(weighting, a);
    weighting.reset();
    expectClose(weightsOf(weighting, a), first);
    const b = crossProduct(rng, 2, 8);
    expectClose(weightsOf(weighting, b), weightsOf(new SDMGradWeighting(), b));
  });

  it('rejects bad input and options with typed errors, and leaks nothing', () => {
    const weighting = new SDMGradWeighting();
    expect(() => weighting.apply(tf.tensor2d([[1, 2]]))).toThrow(InvalidArgumentError);
    expect(() => weighting.apply(tf.tensor2d([[1, 2]]))).toThrow(/`matrix`/);
    expect(() => new SDMGradWeighting({ lr: 0 })).toThrow(/`lr`/);
    expect(() => new SDMGradWeighting({ momentum: 1 })).toThrow(/`momentum`/);
    expect(() => new SDMGradWeighting({ momentum: -0.1 })).toThrow(/`momentum`/);
    expect(() => new SDMGradWeighting({ nIter: 0 })).toThrow(/`nIter`/);
    expect(() => new SDMGradWeighting({ lambda: -0.1 })).toThrow(/`lambda`/);
    expect(() => new SDMGradWeighting({ prefVector: [] })).toThrow(/`prefVector`/);
    expect(weighting.toString()).toBe('SDMGradWeighting');
    const matrix = tf.tensor2d(crossProduct(new Rng(1), 3, 6));
    assertMemoryFlat(() => weighting.apply(matrix).dispose());
    matrix.dispose();
  });
});
