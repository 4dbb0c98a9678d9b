/**
 * The loss-aware interface: aggregators that need the losses get them from applyWithLosses,
 * mtlGrads, mtlBackward({ aggregator }) and jacToGrad, and refuse to run without them.
 */
import * as tf from '@tensorflow/tfjs';
import { isLossAware, LossAwareAggregator } from '../../lib/aggregation/loss_aware';
import { UPGrad } from '../../lib/aggregation/upgrad';
import { gradOf, record, zeroGrad } from '../../lib/autograd';
import { backward as autojacBackward, jacToGrad, mtlBackward, mtlGrads } from '../../lib/autojac';
import { InvalidArgumentError, NumericalError } from '../../lib/errors';
import { LOSS_AWARE_AGGREGATORS } from './_all_methods';

/** Weights each row by its loss: simple enough to check by hand. */
class LossWeightedSum extends LossAwareAggregator {
  seen: number[][] = [];
  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const losses = Array.from(this.currentLosses);
    this.seen.push(losses);
    return tf.tidy(() => tf.matMul(tf.tensor2d([losses]), matrix).reshape([-1]) as tf.Tensor1D);
  }
}

describe('LossAwareAggregator', () => {
  it('is recognized by isLossAware, and UPGrad is not', () => {
    expect(isLossAware(new LossWeightedSum())).toBe(true);
    expect(isLossAware(new UPGrad())).toBe(false);
  });

  it('applyWithLosses passes the losses to forward; hooks see the matrix only', () => {
    const aggregator = new LossWeightedSum();
    const hookArgs: number[] = [];
    aggregator.registerForwardHook((_a, args) => void hookArgs.push(args.length));
    const out = tf.tidy(() =>
      Array.from(
        aggregator
          .applyWithLosses(
            tf.tensor2d([
              [1, 0],
              [0, 1],
            ]),
            tf.tensor1d([2, 3]),
          )
          .dataSync(),
      ),
    );
    expect(out).toEqual([2, 3]);
    expect(hookArgs).toEqual([1]);
  });

  it('apply without losses throws an InvalidArgumentError naming losses', () => {
    const matrix = tf.tensor2d([[1, 0]]);
    expect(() => new LossWeightedSum().apply(matrix)).toThrow(InvalidArgumentError);
    expect(() => new LossWeightedSum().apply(matrix)).toThrow(/`losses`.*applyWithLosses/);
    matrix.dispose();
  });

  it('rejects a wrong number of losses and non-finite losses', () => {
    const matrix = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const a = new LossWeightedSum();
    expect(() => a.applyWithLosses(matrix, [1])).toThrow(/one loss per row/);
    expect(() => a.applyWithLosses(matrix, [1, NaN])).toThrow(InvalidArgumentError);
    expect(() => a.applyWithLosses(matrix, [1, Infinity])).toThrow(InvalidArgumentError);
    expect(a.seen).toEqual([]);
    matrix.dispose();
  });

  it('mtlGrads, mtlBackward({ aggregator }) and jacToGrad pass the loss values', () => {
    const shared = tf.variable(tf.tensor1d([1, 2]), true, 'la_shared');
    const aggregator = new LossWeightedSum();
    const forward = () => {
      const features = tf.mul(shared, 1);
      return { features, losses: [tf.sum(features), tf.sum(tf.square(features))] };
    };
    // losses 3 and 5; rows [1, 1] and [2, 4]: 3·[1, 1] + 5·[2, 4] = [13, 23]
    const { losses, grads } = mtlGrads(forward, { aggregator });
    expect(Array.from(grads['la_shared'].dataSync())).toEqual([13, 23]);
    tf.dispose([losses, grads]);

    const out = record(forward);
    mtlBackward({ ...out, aggregator });
    expect(Array.from(gradOf(shared)!.dataSync())).toEqual([13, 23]);
    zeroGrad();
    tf.dispose([out.features, out.losses]);

    const ys = record(() => [tf.sum(shared), tf.sum(tf.square(shared))]);
    autojacBackward(ys);
    expect(() => jacToGrad([shared], aggregator, { retainJac: true })).toThrow(/`losses`/);
    jacToGrad([shared], aggregator, { losses: tf.tensor1d([3, 5]) });
    expect(Array.from(gradOf(shared)!.dataSync())).toEqual([13, 23]);
    zeroGrad();
    tf.dispose([ys, shared]);
    expect(aggregator.seen).toEqual([
      [3, 5],
      [3, 5],
      [3, 5],
    ]);
  });

  it('keeps tf.memory().numTensors flat over many mtlGrads steps', () => {
    const shared = tf.variable(tf.tensor1d([1, 2]), true, 'la_mem');
    const aggregator = new LossWeightedSum();
    const step = () => {
      const { losses, grads } = mtlGrads(
        () => {
          const features = tf.mul(shared, 1);
          return { features, losses: [tf.sum(features), tf.sum(tf.square(features))] };
        },
        { aggregator },
      );
      tf.dispose([losses, grads]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    shared.dispose();
  });
});

/** `rows(m, n)`: a full-rank m × n matrix with conflicting rows, as plain numbers. */
function rows(m: number, n: number, shift = 0): number[][] {
  return Array.from({ length: m }, (_, i) =>
    Array.from({ length: n }, (_, j) => Math.sin(1 + i * 3.1 + j * 1.7 + shift) * (i + 1)),
  );
}

/** The update of one call, as numbers, with nothing left behind. */
function run(a: LossAwareAggregator, values: number[][], losses: number[]): number[] {
  return tf.tidy(() => Array.from(a.applyWithLosses(tf.tensor2d(values), losses).dataSync()));
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe.each(LOSS_AWARE_AGGREGATORS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  const m = 3;
  const losses = [1, 0.5, 2];

  /**
   * `reject` throws on an instance that has made two calls; the next call then gives what an
   * instance that never saw the rejected call gives, and no tensor is left behind.
   */
  function expectStateUnchanged(reject: (a: LossAwareAggregator) => unknown, error: unknown) {
    const tested = c.make(m);
    const reference = c.make(m);
    for (const a of [tested, reference]) {
      run(a, rows(m, 4), losses);
      run(a, rows(m, 4, 0.2), [0.9, 0.4, 1.5]);
    }
    const before = tf.memory().numTensors;
    const caught = thrown(() => reject(tested));
    expect(caught).toBeInstanceOf(error as new () => Error);
    expect(tf.memory().numTensors).toBe(before);
    const next = run(tested, rows(m, 4, 0.5), [0.8, 0.3, 1.2]);
    expect(next).toEqual(run(reference, rows(m, 4, 0.5), [0.8, 0.3, 1.2]));
    tested.reset();
    reference.reset();
    return caught;
  }

  it.each([null, 5, 'x', [1, 2]])('an options object that is %p names options', (bad) => {
    const error = thrown(
      () => new (c.cls as new (o: unknown) => unknown)(bad),
    ) as InvalidArgumentError;
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.argument).toBe('options');
    const t = tf.tensor1d([1]);
    expect(
      (thrown(() => new (c.cls as new (o: unknown) => unknown)(t)) as InvalidArgumentError)
        .argument,
    ).toBe('options');
    t.dispose();
  });

  it('works with no options, and an unknown option value names the option', () => {
    expect(() => new (c.cls as new () => unknown)()).not.toThrow();
    const key = { GradNorm: 'lr', MoCo: 'gamma', DBMTL: 'beta', IMTL: 'lr' }[c.name]!;
    for (const bad of [NaN, -1, Infinity, '0.1', null]) {
      const error = thrown(
        () => new (c.cls as new (o: unknown) => unknown)({ [key]: bad }),
      ) as InvalidArgumentError;
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.argument).toBe(key);
    }
  });

  const badLosses: [string, () => unknown][] = [
    [
      'a disposed tensor',
      () => {
        const t = tf.tensor1d(losses);
        t.dispose();
        return t;
      },
    ],
    ['a rank-2 tensor', () => tf.tensor2d([losses])],
    ['a scalar tensor', () => tf.scalar(1)],
    ['too few', () => losses.slice(1)],
    ['too many', () => [...losses, 1]],
    ['a NaN', () => [1, NaN, 2]],
    ['an ∞', () => [1, Infinity, 2]],
    ['a −∞', () => [-Infinity, 1, 2]],
    ['a string', () => [1, '2', 3]],
    ['a non-scalar tensor entry', () => [1, tf.tensor1d([2, 3]), 3]],
    ['a plain object', () => ({ a: 1 })],
    ['null', () => null],
    ['undefined', () => undefined],
  ];

  it.each(badLosses)(
    'losses that are %s: InvalidArgumentError naming losses, state unchanged',
    (_what, make) => {
      let value: unknown;
      const error = expectStateUnchanged((a) => {
        value = make();
        try {
          return tf.tidy(() => a.applyWithLosses(tf.tensor2d(rows(m, 4, 0.7)), value as number[]));
        } finally {
          tf.dispose(value as tf.Tensor);
          if (Array.isArray(value))
            tf.dispose(value.filter((v) => typeof v === 'object') as tf.Tensor[]);
        }
      }, InvalidArgumentError) as InvalidArgumentError;
      expect(error.argument).toBe('losses');
    },
  );

  it('takes the losses as a tf.Tensor1D or a list of scalar tensors, as numbers', () => {
    const a = c.make(m);
    const b = c.make(m);
    const d = c.make(m);
    const expected = run(a, rows(m, 4), losses);
    const vector = tf.tensor1d(losses);
    const scalars = losses.map((l) => tf.scalar(l));
    const fromVector = tf.tidy(() =>
      Array.from(b.applyWithLosses(tf.tensor2d(rows(m, 4)), vector).dataSync()),
    );
    const fromScalars = tf.tidy(() =>
      Array.from(d.applyWithLosses(tf.tensor2d(rows(m, 4)), scalars).dataSync()),
    );
    fromVector.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    fromScalars.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    tf.dispose([vector, ...scalars]);
    [a, b, d].forEach((x) => x.reset());
  });

  it('a matrix whose arithmetic overflows float32: NumericalError, state unchanged', () => {
    const huge = rows(m, 4).map((row) => row.map((v) => v * 1e37));
    expectStateUnchanged((a) => run(a, huge, losses), NumericalError);
  });

  it('a forward hook that throws: nothing leaks, state unchanged', () => {
    expectStateUnchanged((a) => {
      const handle = a.registerForwardHook(() => {
        throw new InvalidArgumentError('hook', 'refused');
      });
      try {
        return run(a, rows(m, 4, 0.7), losses);
      } finally {
        handle.remove();
      }
    }, InvalidArgumentError);
  });

  it('a hook replacing the update by a non-finite one: NumericalError (checkOutput), state unchanged', () => {
    const error = expectStateUnchanged((a) => {
      const handle = a.registerForwardHook(
        (_a, _args, out) => tf.fill(out.shape, Infinity) as tf.Tensor1D,
      );
      try {
        return run(a, rows(m, 4, 0.7), losses);
      } finally {
        handle.remove();
      }
    }, NumericalError);
    expect((error as Error).message).toMatch(/non-finite update/);
  });

  it('a wrong-shaped replacement names the hook, leaking nothing, state unchanged', () => {
    const error = expectStateUnchanged((a) => {
      const handle = a.registerForwardHook(function halve() {
        return tf.zeros([2]) as tf.Tensor1D;
      });
      try {
        return run(a, rows(m, 4, 0.7), losses);
      } finally {
        handle.remove();
      }
    }, InvalidArgumentError) as InvalidArgumentError;
    expect(error.argument).toBe('forward hook halve');
  });

  it('a replacing hook hands its replacement over; hooks see [matrix]; the state moves as without hooks', () => {
    const a = c.make(m);
    const seen: number[] = [];
    a.registerForwardPreHook((_a, args) => void seen.push(args.length));
    a.registerForwardHook((_a, args, out) => {
      seen.push(args.length);
      return tf.mul(out, 2) as tf.Tensor1D;
    });
    const b = c.make(m);
    const doubled = run(a, rows(m, 4), losses);
    run(b, rows(m, 4), losses).forEach((v, i) => expect(doubled[i]).toBeCloseTo(2 * v, 5));
    expect(seen).toEqual([1, 1]);
    // The state moved as in a call without hooks; the tensor count of a second call is flat.
    const before = tf.memory().numTensors;
    const next = run(a, rows(m, 4, 0.3), losses);
    expect(tf.memory().numTensors).toBe(before);
    run(b, rows(m, 4, 0.3), losses).forEach((v, i) => expect(next[i]).toBeCloseTo(2 * v, 5));
    a.reset();
    b.reset();
  });

  it('a pre-hook replacing the matrix: the replacement is validated and used', () => {
    const a = c.make(m);
    const b = c.make(m);
    a.registerForwardPreHook((_a, [J]) => [tf.mul(J, 2) as tf.Tensor2D]);
    const double = (values: number[][]) => values.map((r) => r.map((v) => 2 * v));
    run(b, double(rows(m, 4)), losses);
    run(a, rows(m, 4), losses);
    const scaled = run(b, double(rows(m, 4, 0.3)), losses);
    const before = tf.memory().numTensors;
    const out = run(a, rows(m, 4, 0.3), losses);
    expect(tf.memory().numTensors).toBe(before);
    out.forEach((v, i) => expect(v).toBeCloseTo(scaled[i], 5));
    const c2 = c.make(m);
    c2.registerForwardPreHook(() => [tf.zeros([m + 1, 4]) as tf.Tensor2D]);
    expect((thrown(() => run(c2, rows(m, 4), losses)) as InvalidArgumentError).argument).toBe(
      'losses',
    );
    [a, b, c2].forEach((x) => x.reset());
  });

  it('a matrix with no rows gives zeros, without hooks or state changes', () => {
    const a = c.make(m);
    const reference = c.make(m);
    run(a, rows(m, 4), losses);
    run(reference, rows(m, 4), losses);
    let hooked = 0;
    a.registerForwardHook(() => void hooked++);
    const empty = tf.zeros([0, 4]) as tf.Tensor2D;
    for (const noLosses of [[], tf.tensor1d([])]) {
      const out = a.applyWithLosses(empty, noLosses);
      expect(Array.from(out.dataSync())).toEqual([0, 0, 0, 0]);
      tf.dispose([out, noLosses as tf.Tensor]);
    }
    expect(() => a.applyWithLosses(empty, [1])).toThrow(/`losses`/);
    empty.dispose();
    expect(hooked).toBe(0);
    expect(run(a, rows(m, 4, 0.4), losses)).toEqual(run(reference, rows(m, 4, 0.4), losses));
    a.reset();
    reference.reset();
  });

  it('reset() frees its state: the tensor count returns to what it was', () => {
    const before = tf.memory().numTensors;
    const a = c.make(m);
    for (let i = 0; i < 5; i++) run(a, rows(m, 4, i / 5), losses);
    run(a, rows(m + 1, 4), [...losses, 1]); // a change of shape restarts
    a.reset();
    expect(tf.memory().numTensors).toBe(before);
  });
});
