import * as tf from '@tensorflow/tfjs';
import {
  TrimmedMean,
  trimmedMeanOnBackend,
  trimmedMeanOnHost,
} from '../../lib/aggregation/trimmed_mean';
import { InvalidArgumentError } from '../../lib/errors';
import { fixtures, Rng } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertMemoryFlat,
  assertPermutationInvariant,
} from './_properties';

const { typical, scaled } = fixtures();
const twoPlusRows = (rows: number[][]) => rows.length >= 2;

/** Brute force: sort each column in float64, drop t at each end, average the rest. */
function bruteForce(rows: number[][], t: number): number[] {
  return rows[0].map((_, c) => {
    const column = rows.map((r) => r[c]).sort((a, b) => a - b);
    const kept = column.slice(t, column.length - t);
    return kept.reduce((s, x) => s + x, 0) / kept.length;
  });
}

describe('TrimmedMean', () => {
  it('drops huge outliers exactly (TorchJD documented value)', () => {
    // TorchJD test_values.py: TrimmedMean(trim_number=1) → [1.5, 2.5]. Per column by hand:
    // sorted [-1e10, 1, 2, 1e11] keeps (1 + 2)/2; sorted [-1e11, 2, 3, 1e10] keeps (2 + 3)/2.
    const rows = [
      [1e11, 3],
      [1, -1e11],
      [-1e10, 1e10],
      [2, 2],
    ];
    expect(aggregate(new TrimmedMean({ trimNumber: 1 }), rows)).toEqual([1.5, 2.5]);
  });

  it.each([
    [0, 1],
    [0, 5],
    [1, 5],
    [2, 5],
    [3, 10],
  ])('matches a per-column sort (trimNumber=%i, m=%i)', (t, m) => {
    const rows = new Rng(m + t).normals(m, 7);
    const expected = bruteForce(rows, t);
    aggregate(new TrimmedMean({ trimNumber: t }), rows).forEach((v, i) =>
      expect(v).toBeCloseTo(expected[i], 5),
    );
  });

  it('computes the same on the host (cpu, wasm) as with backend ops (webgl, tensorflow)', () => {
    for (const [m, t] of [
      [1, 0],
      [4, 1],
      [7, 3],
      [15, 2],
    ]) {
      const rows = new Rng(100 + m).normals(m, 9);
      rows[0][0] = 1e11; // an outlier must not swallow the kept values
      const expected = bruteForce(rows, t);
      const J = tf.tensor2d(rows);
      for (const run of [trimmedMeanOnHost, trimmedMeanOnBackend]) {
        const out = run(J, t);
        // float32 output: relative tolerance for the 1e11 that a single row keeps.
        Array.from(out.dataSync()).forEach((v, i) =>
          expect(Math.abs(v - expected[i])).toBeLessThan(1e-5 + 1e-7 * Math.abs(expected[i])),
        );
        out.dispose();
      }
      J.dispose();
    }
  });

  it('on the host, handles many column blocks, odd row counts, ties, signed zeros and subnormals', () => {
    for (const [m, t] of [
      [3, 1],
      [5, 2],
      [6, 1],
      [8, 3],
    ]) {
      const rng = new Rng(200 + m);
      // 5000 columns: two full blocks of 2048 and a partial one.
      const rows = rng.normals(m, 5000).map((row) => row.map((v) => Math.round(v * 4) / 4));
      rows[0][1] = -0;
      rows[m - 1][1] = 0;
      rows[1][2] = 1e-40; // subnormal in float32
      rows[0][4097] = -3e38;
      const expected = bruteForce(rows, t);
      const J = tf.tensor2d(rows);
      const out = trimmedMeanOnHost(J, t);
      const actual = out.dataSync();
      expected.forEach((v, i) => expect(Math.abs(actual[i] - v)).toBeLessThan(1e-6));
      tf.dispose([out, J]);
    }
  });

  it('on the host, rejects a NaN or infinite entry anywhere, leaving no tensor behind', () => {
    const aggregator = new TrimmedMean({ trimNumber: 1 });
    for (const bad of [NaN, Infinity, -Infinity]) {
      const rows = new Rng(7).normals(5, 5000);
      rows[3][4500] = bad;
      const J = tf.tensor2d(rows);
      const before = tf.memory().numTensors;
      expect(() => aggregator.apply(J)).toThrow(InvalidArgumentError);
      expect(() => trimmedMeanOnHost(J, 2)).toThrow(/`matrix`/);
      expect(tf.memory().numTensors).toBe(before);
      J.dispose();
    }
  });

  it('has the expected structure and is permutation invariant on fixtures', () => {
    const aggregator = new TrimmedMean({ trimNumber: 1 });
    for (const rows of [...typical, ...scaled].filter(twoPlusRows)) {
      if (rows.length >= 3) assertExpectedStructure(aggregator, rows);
    }
    for (const rows of typical.filter((r) => r.length >= 3)) {
      assertPermutationInvariant(aggregator, rows);
    }
  });

  it('validates trimNumber and the number of rows, and names itself', () => {
    for (const trimNumber of [-5, -1, 1.5]) {
      expect(() => new TrimmedMean({ trimNumber })).toThrow(InvalidArgumentError);
      expect(() => new TrimmedMean({ trimNumber })).toThrow(/`trimNumber`/);
    }
    const aggregator = new TrimmedMean({ trimNumber: 1 });
    aggregator.trimNumber = 3;
    expect(aggregator.trimNumber).toBe(3);
    expect(() => (aggregator.trimNumber = -1)).toThrow(/`trimNumber`/);
    const ones = (m: number) => Array.from({ length: m }, () => [1, 1, 1, 1, 1]);
    expect(aggregate(new TrimmedMean({ trimNumber: 0 }), ones(1))).toEqual([1, 1, 1, 1, 1]);
    expect(() => aggregate(new TrimmedMean({ trimNumber: 1 }), ones(1))).toThrow(/`matrix`/);
    expect(aggregate(new TrimmedMean({ trimNumber: 4 }), ones(10))).toEqual([1, 1, 1, 1, 1]);
    expect(() => aggregate(new TrimmedMean({ trimNumber: 5 }), ones(10))).toThrow(/at least 11/);
    expect(new TrimmedMean({ trimNumber: 2 }).toString()).toBe('TM2');
  });

  it('rejects bad input, calls hooks and keeps memory flat', () => {
    assertBadInputRejected(new TrimmedMean({ trimNumber: 0 }));
    assertHooksCalled(new TrimmedMean({ trimNumber: 1 }), typical[4]);
    const aggregator = new TrimmedMean({ trimNumber: 1 });
    const J = tf.tensor2d(typical[5]);
    assertMemoryFlat(() => aggregator.apply(J).dispose());
    J.dispose();
  });
});
