import * as tf from '@tensorflow/tfjs';
import { GradDrop, gradDropOnBackend, gradDropOnHost } from '../../lib/aggregation/graddrop';
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
const J = [
  [-4, 1, 1],
  [6, 1, 1],
];

/** Per column, by hand: the sums of the (1 − leak)-weighted positive and negative parts. */
function parts(rows: number[][], leak: number[]) {
  return rows[0].map((_, c) => {
    let positive = 0;
    let negative = 0;
    let leaked = 0;
    rows.forEach((r, i) => {
      leaked += leak[i] * r[c];
      if (r[c] > 0) positive += (1 - leak[i]) * r[c];
      else negative += (1 - leak[i]) * r[c];
    });
    return { positive: leaked + positive, negative: leaked + negative, neither: leaked };
  });
}

describe('GradDrop', () => {
  it('keeps the positive or the negative parts of each column', () => {
    // Column 0 of J has purity P = ½(1 + 2/10) = 0.6: the output is 6 (positive kept) or −4;
    // columns 1 and 2 are all positive (P = 1): always kept, sum 2. TorchJD documents [6, 2, 2].
    const aggregator = new GradDrop({ seed: 3 });
    let positives = 0;
    const runs = 2000;
    for (let run = 0; run < runs; run++) {
      const [a, b, c] = aggregate(aggregator, J);
      expect([6, -4]).toContain(a);
      expect([b, c]).toEqual([2, 2]);
      if (a === 6) positives++;
    }
    // Binomial(2000, 0.6): standard deviation ≈ 0.011; 5 sigma.
    expect(Math.abs(positives / runs - 0.6)).toBeLessThan(0.055);
  });

  it('applies f to the purity: a constant 1 always keeps positives, 0 always negatives', () => {
    const rows = new Rng(1).normals(4, 6);
    const p = parts(rows, [0, 0, 0, 0]);
    const keepPositive = new GradDrop({ f: (P) => tf.onesLike(P) });
    aggregate(keepPositive, rows).forEach((v, i) => expect(v).toBeCloseTo(p[i].positive, 5));
    const keepNegative = new GradDrop({ f: (P) => tf.zerosLike(P) });
    aggregate(keepNegative, rows).forEach((v, i) => expect(v).toBeCloseTo(p[i].negative, 5));
  });

  it('leaks the given share of each row', () => {
    const rows = new Rng(2).normals(3, 40);
    const leak = [0, 0.5, 1];
    const p = parts(rows, leak);
    const out = aggregate(new GradDrop({ leak, seed: 1 }), rows);
    out.forEach((v, i) => {
      const candidates = [p[i].positive, p[i].negative, p[i].neither];
      expect(Math.min(...candidates.map((c) => Math.abs(c - v)))).toBeLessThan(1e-5);
    });
    // Full leak is the sum of the rows, whatever is dropped.
    const sum = rows[0].map((_, c) => rows.reduce((s, r) => s + r[c], 0));
    aggregate(new GradDrop({ leak: [1, 1, 1] }), rows).forEach((v, i) =>
      expect(v).toBeCloseTo(sum[i], 5),
    );
  });

  it('is reproducible with a seed, restarts with reset(), and gives 0 on zero columns', () => {
    const rows = new Rng(4).normals(5, 30);
    const a = new GradDrop({ seed: 8 });
    const first = aggregate(a, rows);
    const second = aggregate(a, rows);
    expect(second).not.toEqual(first);
    a.reset();
    expect(aggregate(a, rows)).toEqual(first);
    expect(aggregate(new GradDrop({ seed: 8 }), rows)).toEqual(first);
    expect(
      aggregate(new GradDrop(), [
        [0, 1],
        [0, -1],
      ])[0],
    ).toBe(0);
  });

  it('computes the same on the host (cpu, wasm) as with backend ops (webgl, tensorflow)', () => {
    const rng = new Rng(6);
    for (const [m, n, f] of [
      [3, 50, (P: tf.Tensor1D) => P],
      [5, 20, (P: tf.Tensor1D) => tf.sqrt(P)],
    ] as const) {
      const rows = rng.normals(m, n);
      rows[1][3] = 0;
      rows.forEach((r) => (r[7] = 0)); // a zero column
      const step = {
        f,
        leak: Array.from({ length: m }, () => rng.next()),
        thresholds: Float32Array.from({ length: n }, () => rng.next()),
      };
      const J = tf.tensor2d(rows);
      const host = gradDropOnHost(J, step);
      const backend = gradDropOnBackend(J, step);
      const [a, b] = [Array.from(host.dataSync()), Array.from(backend.dataSync())];
      a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 5));
      tf.dispose([J, host, backend]);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        gradDropOnBackend(tf.tensor2d(rows), step);
        gradDropOnHost(tf.tensor2d(rows), step);
      });
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('on the host, rejects a NaN or infinite entry in any column, with or without leak and f', () => {
    const variants = [
      new GradDrop({ seed: 1 }),
      new GradDrop({ seed: 1, leak: [0.1, 0, 0.5] }),
      new GradDrop({ seed: 1, f: (p) => tf.sqrt(p) }),
    ];
    for (const aggregator of variants) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const rows = new Rng(3).normals(3, 3000);
        rows[2][2999] = bad;
        const J = tf.tensor2d(rows);
        const before = tf.memory().numTensors;
        expect(() => aggregator.apply(J)).toThrow(InvalidArgumentError);
        expect(tf.memory().numTensors).toBe(before);
        J.dispose();
      }
    }
  });

  it('draws uniform thresholds: over many columns, keeps positives at the rate P', () => {
    // Column [3, −1]: P = 3/4, so GradDrop keeps 3 with probability 3/4 and −1 otherwise.
    const n = 20000;
    const J = tf.tensor2d([new Array<number>(n).fill(3), new Array<number>(n).fill(-1)]);
    const out = new GradDrop({ seed: 5 }).apply(J);
    const kept = Array.from(out.dataSync());
    expect(kept.every((v) => v === 3 || v === -1)).toBe(true);
    const rate = kept.filter((v) => v === 3).length / n;
    expect(Math.abs(rate - 0.75)).toBeLessThan(0.015); // ≈ 5 standard deviations
    tf.dispose([J, out]);
  });

  it('has the expected structure on typical and scaled matrices', () => {
    for (const rows of [...typical, ...scaled]) assertExpectedStructure(new GradDrop(), rows);
  });

  it('validates leak, f and seed, and names itself as TorchJD', () => {
    expect(new GradDrop().toString()).toBe('GradDrop');
    expect(new GradDrop({ leak: tf.tensor1d([0, 1]) }).toString()).toBe('GradDrop([0., 1.])');
    expect(() => new GradDrop({ leak: tf.ones([2, 2]) as unknown as tf.Tensor1D })).toThrow(
      /`leak`/,
    );
    expect(() => new GradDrop({ leak: [] })).toThrow(/`leak`/);
    expect(() => new GradDrop({ seed: 0.5 })).toThrow(/`seed`/);
    expect(() => new GradDrop({ f: 3 as unknown as () => tf.Tensor1D })).toThrow(/`f`/);
    const ones = (m: number) => Array.from({ length: m }, () => [1, 1, 1, 1, 1]);
    expect(aggregate(new GradDrop({ leak: [1, 1, 1, 1, 1] }), ones(5))).toEqual([5, 5, 5, 5, 5]);
    for (const [leakLength, m] of [
      [4, 5],
      [5, 4],
      [1, 2],
    ]) {
      const aggregator = new GradDrop({ leak: new Array<number>(leakLength).fill(1) });
      expect(() => aggregate(aggregator, ones(m))).toThrow(InvalidArgumentError);
      expect(() => aggregate(aggregator, ones(m))).toThrow(/`matrix`/);
    }
    const aggregator = new GradDrop({ leak: [0, 1] });
    aggregator.leak = undefined;
    expect(aggregator.leak).toBeUndefined();
    aggregator.leak = [0, 0.5, 1];
    expect(aggregator.leak).toEqual([0, 0.5, 1]);
  });

  it('rejects bad input, calls hooks and keeps memory flat', () => {
    assertBadInputRejected(new GradDrop());
    assertHooksCalled(new GradDrop(), typical[5]);
    const aggregator = new GradDrop({ leak: [0, 0.1, 0.2, 0.3] });
    const J = tf.tensor2d(typical[5]);
    assertMemoryFlat(() => aggregator.apply(J).dispose());
    const plain = new GradDrop({ f: (P) => tf.sqrt(P) });
    assertMemoryFlat(() => plain.apply(J).dispose());
    J.dispose();
  });
});
