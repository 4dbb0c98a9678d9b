import * as tf from '@tensorflow/tfjs';
import { PCGrad, PCGradWeighting } from '../../lib/aggregation/pcgrad';
import { uniformGenerator } from '../../lib/random_stream';
import { UPGradWeighting } from '../../lib/aggregation/upgrad';
import { InvalidArgumentError } from '../../lib/errors';
import { fixtures, Rng } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertMemoryFlat,
} from './_properties';

const { typical, scaled } = fixtures();
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

/**
 * Algorithm 1 of the paper on the rows themselves (n-dimensional vectors, no Gramian), visiting
 * the others in the order a Fisher–Yates shuffle of [0, m) draws from the same seeded stream.
 */
function rowSpacePCGrad(rows: number[][], seed: number): number[] {
  const uniform = uniformGenerator(seed);
  const m = rows.length;
  const result = new Array<number>(rows[0].length).fill(0);
  for (let i = 0; i < m; i++) {
    const order = Array.from({ length: m }, (_, k) => k);
    for (let a = m - 1; a > 0; a--) {
      const b = Math.floor(uniform() * (a + 1));
      [order[a], order[b]] = [order[b], order[a]];
    }
    let g = [...rows[i]];
    for (const j of order) {
      if (j === i) continue;
      const product = dot(g, rows[j]);
      if (product < 0) g = g.map((x, k) => x - (product / dot(rows[j], rows[j])) * rows[j][k]);
    }
    g.forEach((x, k) => (result[k] += x));
  }
  return result;
}

function gramianOf(rows: number[][]): tf.Tensor2D {
  return tf.tidy(() => {
    const J = tf.tensor2d(rows);
    return tf.matMul(J, J, false, true);
  });
}

describe('PCGrad', () => {
  it('matches TorchJD documented values', () => {
    // TorchJD test_values.py: PCGrad()(J) ≈ [0.5848, 3.8012, 3.8012]; weights [2.2222, 1.5789].
    // By hand: g₁·g₂ = −22, so w = (1 + 22/38, 1 + 22/18) = (1.5789, 2.2222) in row order (2, 1).
    const rows = [
      [-4, 1, 1],
      [6, 1, 1],
    ];
    aggregate(new PCGrad(), rows).forEach((v, i) =>
      expect(v).toBeCloseTo([0.5848, 3.8012, 3.8012][i], 4),
    );
    const G = gramianOf(rows);
    const w = new PCGradWeighting().apply(G);
    const values = Array.from(w.dataSync());
    expect(values[0]).toBeCloseTo(1 + 22 / 18, 5);
    expect(values[1]).toBeCloseTo(1 + 22 / 38, 5);
    tf.dispose([G, w]);
  });

  it.each([3, 5, 8])('matches projections of the rows themselves, m=%i', (m) => {
    const rows = new Rng(m).normals(m, 6);
    const expected = rowSpacePCGrad(rows, 11);
    aggregate(new PCGrad({ seed: 11 }), rows).forEach((v, i) =>
      expect(v).toBeCloseTo(expected[i], 4),
    );
  });

  it('equals UPGrad of the sum (no regularization) for two rows', () => {
    // TorchJD's test_equivalence_upgrad_sum_two_rows.
    for (const n of [5, 9, 57, 1200]) {
      const G = gramianOf(new Rng(n).normals(2, n));
      const pc = new PCGradWeighting().apply(G);
      const up = new UPGradWeighting({ prefVector: [1, 1], normEps: 0, regEps: 0 }).apply(G);
      const [a, b] = [Array.from(pc.dataSync()), Array.from(up.dataSync())];
      a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThan(4e-4));
      tf.dispose([G, pc, up]);
    }
  });

  it('is reproducible with a seed and restarts with reset()', () => {
    const rows = new Rng(3).normals(6, 4);
    const a = new PCGrad({ seed: 5 });
    const first = aggregate(a, rows);
    const runs = Array.from({ length: 5 }, () => aggregate(a, rows));
    a.reset();
    expect(aggregate(a, rows)).toEqual(first);
    expect(aggregate(new PCGrad({ seed: 5 }), rows)).toEqual(first);
    // The orders do change between calls on a conflicting 6-row matrix.
    expect(runs.some((r) => r.some((x, i) => Math.abs(x - first[i]) > 1e-6))).toBe(true);
    expect(() => new PCGrad({ seed: 1.5 })).toThrow(/`seed`/);
  });

  it('has the expected structure on typical and scaled matrices', () => {
    const aggregator = new PCGrad({ seed: 0 });
    for (const rows of [...typical, ...scaled]) assertExpectedStructure(aggregator, rows);
  });

  it('names itself, rejects bad input, calls hooks and keeps memory flat', () => {
    expect(new PCGrad().toString()).toBe('PCGrad');
    assertBadInputRejected(new PCGrad());
    expect(() => new PCGradWeighting().apply(tf.ones([2, 3]) as tf.Tensor2D)).toThrow(
      InvalidArgumentError,
    );
    assertHooksCalled(new PCGrad(), typical[5]);
    const aggregator = new PCGrad();
    const J = tf.tensor2d(typical[5]);
    assertMemoryFlat(() => aggregator.apply(J).dispose());
    J.dispose();
  });
});
