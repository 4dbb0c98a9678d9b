import * as tf from '@tensorflow/tfjs';
import { Random, RandomWeighting } from '../../lib/aggregation/random';
import { InvalidArgumentError } from '../../lib/errors';
import { fixtures } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertMemoryFlat,
  assertStronglyStationary,
} from './_properties';

const { typical, scaled, nonStrong } = fixtures();
const J = [
  [-4, 1, 1],
  [6, 1, 1],
];

function draw(weighting: RandomWeighting, m: number): number[] {
  return tf.tidy(() => Array.from(weighting.apply(tf.zeros([m, 2])).dataSync()));
}

describe('Random', () => {
  it('draws positive weights summing to one, reproducibly with a seed', () => {
    const first = new Random({ seed: 3 });
    const second = new Random({ seed: 3 });
    const a = draw(first.weighting, 2);
    expect(a.every((w) => w > 0)).toBe(true);
    expect(a[0] + a[1]).toBeCloseTo(1, 6);
    expect(draw(second.weighting, 2)).toEqual(a);
    expect(draw(first.weighting, 2)).not.toEqual(a); // redrawn at each call
    first.reset();
    expect(draw(first.weighting, 2)).toEqual(a);
    expect(draw(new RandomWeighting({ seed: 4 }), 2)).not.toEqual(a);
  });

  it('draws softmax(z) with z standard normal, as TorchJD', () => {
    // log(wᵢ / wⱼ) = zᵢ − zⱼ ~ N(0, 2): check its mean and variance over many draws (standard
    // errors ≈ 0.02 and 0.05 for 4000 samples), and the symmetric mean weight 1/m.
    const weighting = new RandomWeighting({ seed: 12 });
    const logRatios: number[] = [];
    const meanWeights = [0, 0, 0];
    const draws = 4000;
    for (let k = 0; k < draws; k++) {
      const w = draw(weighting, 3);
      logRatios.push(Math.log(w[0] / w[1]));
      w.forEach((x, i) => (meanWeights[i] += x / draws));
    }
    const mean = logRatios.reduce((s, x) => s + x, 0) / draws;
    const variance = logRatios.reduce((s, x) => s + (x - mean) ** 2, 0) / (draws - 1);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(variance - 2)).toBeLessThan(0.25);
    meanWeights.forEach((w) => expect(Math.abs(w - 1 / 3)).toBeLessThan(0.02));
  });

  it.each([...typical, ...scaled].map((m, i) => [i, m]))('expected structure %i', (_, rows) => {
    assertExpectedStructure(new Random({ seed: 0 }), rows);
  });

  it('is strongly stationary', () => {
    for (const rows of nonStrong) assertStronglyStationary(new Random({ seed: 1 }), rows);
  });

  it('names itself, calls hooks, rejects bad input and bad seeds', () => {
    expect(new Random().toString()).toBe('Random');
    expect(new RandomWeighting().toString()).toBe('RandomWeighting');
    assertHooksCalled(new Random({ seed: 2 }), J);
    assertBadInputRejected(new Random());
    expect(() => new Random({ seed: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new Random({ seed: 1.5 })).toThrow(/`seed`/);
    expect(aggregate(new Random(), J).every(Number.isFinite)).toBe(true); // unseeded: Math.random
  });

  it('keeps memory flat', () => {
    const matrix = tf.tensor2d(J);
    const aggregator = new Random({ seed: 5 });
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    matrix.dispose();
  });
});
