import * as tf from '@tensorflow/tfjs';
import { ConFIG } from '../../lib/aggregation/config';
import { fixtures, Rng } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertLinearUnderScaling,
  assertMemoryFlat,
  assertPermutationInvariant,
  assertStronglyStationary,
} from './_properties';

const { typical, scaled, nonStrong } = fixtures();
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
const norm = (a: number[]) => Math.sqrt(dot(a, a));

describe('ConFIG', () => {
  it('matches TorchJD documented value and the closed form for two rows', () => {
    // TorchJD test_values.py: ConFIG()(J) ≈ [0.1588, 2.0706, 2.0706].
    const rows = [
      [-4, 1, 1],
      [6, 1, 1],
    ];
    const out = aggregate(new ConFIG(), rows);
    out.forEach((v, i) => expect(v).toBeCloseTo([0.1588, 2.0706, 2.0706][i], 4));
    // Two rows: the equal-angle direction is the bisector u₁ + u₂ of the unit rows; its length is
    // (g₁ + g₂)·û.
    const units = rows.map((r) => r.map((x) => x / norm(r)));
    const bisector = units[0].map((x, i) => x + units[1][i]);
    const direction = bisector.map((x) => x / norm(bisector));
    const length = dot(rows[0], direction) + dot(rows[1], direction);
    out.forEach((v, i) => expect(v).toBeCloseTo(length * direction[i], 4));
  });

  it.each([3, 4, 6])('makes equal angles with independent rows (m=%i)', (m) => {
    const rows = new Rng(m).normals(m, 9);
    const out = aggregate(new ConFIG(), rows);
    const cosines = rows.map((r) => dot(r, out) / (norm(r) * norm(out)));
    cosines.forEach((c) => expect(c).toBeCloseTo(cosines[0], 4));
    expect(cosines[0]).toBeGreaterThan(0);
    // Its length is the sum of the projections of the rows on its direction.
    const unit = out.map((x) => x / norm(out));
    expect(norm(out)).toBeCloseTo(
      rows.reduce((s, r) => s + dot(r, unit), 0),
      4,
    );
  });

  it('weights the unit rows by the preference vector (scale-free, zero rows ignored)', () => {
    const rows = new Rng(2).normals(3, 9);
    // U⁺w gives Uû ∝ w: the cosines with the rows are proportional to w.
    const out = aggregate(new ConFIG({ prefVector: [1, 2, 3] }), rows);
    const cosines = rows.map((r) => dot(r, out) / (norm(r) * norm(out)));
    expect(cosines[1] / cosines[0]).toBeCloseTo(2, 4);
    expect(cosines[2] / cosines[0]).toBeCloseTo(3, 4);
    expect(
      aggregate(new ConFIG({ prefVector: [2, 4, 6] }), rows).every(
        (x, i) => Math.abs(x - out[i]) < 1e-4,
      ),
    ).toBe(true);
    const withZero = aggregate(new ConFIG(), [...rows, [0, 0, 0, 0, 0, 0, 0, 0, 0]]);
    const without = aggregate(new ConFIG(), rows);
    withZero.forEach((v, i) => expect(v).toBeCloseTo(without[i], 4));
    expect(
      aggregate(new ConFIG(), [
        [0, 0],
        [0, 0],
      ]),
    ).toEqual([0, 0]);
  });

  it('has TorchJD properties on fixtures', () => {
    for (const rows of [...typical, ...scaled]) assertExpectedStructure(new ConFIG(), rows);
    for (const rows of typical.slice(0, 12)) {
      assertPermutationInvariant(new ConFIG(), rows);
      assertLinearUnderScaling(new ConFIG(), rows, 1e-3, 1e-3);
    }
    for (const rows of nonStrong) assertStronglyStationary(new ConFIG(), rows);
  });

  it('names itself, rejects bad input, calls hooks and keeps memory flat', () => {
    expect(new ConFIG().toString()).toBe('ConFIG');
    expect(new ConFIG({ prefVector: tf.tensor1d([1, 2, 3]) }).toString()).toBe(
      'ConFIG([1., 2., 3.])',
    );
    expect(() => aggregate(new ConFIG({ prefVector: [1, 2, 3] }), [[1, 2]])).toThrow(
      /`prefVector`/,
    );
    assertBadInputRejected(new ConFIG());
    assertHooksCalled(new ConFIG(), typical[5]);
    const aggregator = new ConFIG();
    const J = tf.tensor2d(typical[5]);
    assertMemoryFlat(() => aggregator.apply(J).dispose());
    J.dispose();
  });
});
