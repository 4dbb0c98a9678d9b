import { DBMTL } from '../../lib/aggregation/db_mtl';
import { isLossAware } from '../../lib/aggregation/loss_aware';
import { Rng } from './_matrices';
import {
  aggregateWithLosses,
  assertRejectedBeforeStateChanges,
  libmtlCases,
  maxErrorOverSteps,
  assertMemoryFlatDirectlyAndUnderMtlGrads,
} from './_libmtl';

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
const norm = (v: number[]) => Math.sqrt(dot(v, v));

/** The paper's Algorithm 1 on the rows in float64. */
function paperDBMTL(rows: number[][][], losses: number[][], beta: number, betaSigma: number) {
  const m = rows[0].length;
  const n = rows[0][0].length;
  let average = Array.from({ length: m }, () => new Array<number>(n).fill(0));
  return rows.map((J, index) => {
    const b = beta / Math.pow(index + 1, betaSigma);
    average = average.map((a, i) =>
      a.map((x, k) => b * x + (1 - b) * (J[i][k] / losses[index][i])),
    );
    const norms = average.map(norm);
    const largest = Math.max(...norms);
    return Array.from({ length: n }, (_, k) =>
      average.reduce((s, a, i) => s + (largest / norms[i]) * a[k], 0),
    );
  });
}

describe('DBMTL', () => {
  it('matches LibMTL over every step', () => {
    let worst = 0;
    for (const reference of libmtlCases('db_mtl')) {
      const aggregator = new DBMTL({
        beta: reference.kwargs.DB_beta,
        betaSigma: reference.kwargs.DB_beta_sigma,
      });
      worst = Math.max(worst, maxErrorOverSteps(aggregator, reference));
    }
    expect(worst).toBeLessThan(5e-6);
  });

  it.each([
    [2, 5, 0.9, 0],
    [3, 7, 0.6, 0.5],
    [5, 4, 0, 0],
  ])('follows the paper, m=%i n=%i beta=%f betaSigma=%f', (m, n, beta, betaSigma) => {
    const rng = new Rng(3 * m + n);
    const rows = Array.from({ length: 8 }, () => rng.normals(m, n));
    const losses = rows.map((_, t) => rows[0].map((_r, i) => (0.5 + i) * Math.pow(0.85, t)));
    const expected = paperDBMTL(rows, losses, beta, betaSigma);
    const aggregator = new DBMTL({ beta, betaSigma });
    rows.forEach((J, t) =>
      aggregateWithLosses(aggregator, J, losses[t]).forEach((v, k) =>
        expect(v).toBeCloseTo(expected[t][k], 3),
      ),
    );
  });

  it('is invariant to the scale of each loss (the log transform)', () => {
    const rng = new Rng(11);
    const rows = [rng.normals(3, 5), rng.normals(3, 5)];
    const losses = [
      [1, 2, 0.5],
      [0.8, 1.5, 0.4],
    ];
    const scale = [10, 0.01, 3];
    const plain = new DBMTL();
    const scaled = new DBMTL();
    rows.forEach((J, t) => {
      const a = aggregateWithLosses(plain, J, losses[t]);
      const b = aggregateWithLosses(
        scaled,
        J.map((r, i) => r.map((x) => x * scale[i])),
        losses[t].map((l, i) => l * scale[i]),
      );
      a.forEach((v, k) => expect(b[k]).toBeCloseTo(v, 4));
    });
  });

  it('with beta = 0, rescales every log-loss gradient to the largest norm', () => {
    const rows = [
      [3, 0],
      [0, 1],
    ];
    // ∇ log L: [3, 0] / 1 and [0, 1] / 0.25 = [0, 4]: both rescaled to norm 4.
    const direction = aggregateWithLosses(new DBMTL({ beta: 0 }), rows, [1, 0.25]);
    expect(direction[0]).toBeCloseTo(4, 5);
    expect(direction[1]).toBeCloseTo(4, 5);
  });

  it('keeps its moving averages across calls; reset() and a change of shape restart', () => {
    const rows = new Rng(5).normals(3, 4);
    const aggregator = new DBMTL();
    const first = aggregateWithLosses(aggregator, rows, [1, 2, 3]);
    const second = aggregateWithLosses(aggregator, new Rng(6).normals(3, 4), [1, 2, 3]);
    const freshSecond = aggregateWithLosses(new DBMTL(), new Rng(6).normals(3, 4), [1, 2, 3]);
    expect(second.some((x, i) => Math.abs(x - freshSecond[i]) > 1e-4)).toBe(true);
    aggregator.reset();
    expect(aggregateWithLosses(aggregator, rows, [1, 2, 3])).toEqual(first);
    const fresh = aggregateWithLosses(new DBMTL(), rows.slice(0, 2), [1, 2]);
    expect(aggregateWithLosses(aggregator, rows.slice(0, 2), [1, 2])).toEqual(fresh);
  });

  it('validates its options and the losses, and names itself', () => {
    expect(new DBMTL().toString()).toBe('DBMTL(beta=0.9, betaSigma=0)');
    expect(isLossAware(new DBMTL())).toBe(true);
    expect(() => new DBMTL({ beta: 1 })).toThrow(/`beta`/);
    expect(() => new DBMTL({ beta: -0.1 })).toThrow(/`beta`/);
    expect(() => new DBMTL({ betaSigma: -1 })).toThrow(/`betaSigma`/);
    expect(() => new DBMTL({ betaSigma: Infinity })).toThrow(/`betaSigma`/);
    expect(() =>
      aggregateWithLosses(
        new DBMTL(),
        [
          [1, 0],
          [0, 1],
        ],
        [-1, 1],
      ),
    ).toThrow(/`losses`.*≥ 0/);
  });

  it('rejects bad matrices and losses before its state changes', () => {
    assertRejectedBeforeStateChanges(() => new DBMTL(), new Rng(8).normals(3, 5), [1, 0.5, 2]);
  });

  it('keeps the tensor count flat, directly and under mtlGrads', () => {
    assertMemoryFlatDirectlyAndUnderMtlGrads(new DBMTL());
  });
});
