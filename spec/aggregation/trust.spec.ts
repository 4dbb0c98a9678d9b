/**
 * What every aggregator and weighting does with input it cannot trust: NaN or infinite entries
 * (an `InvalidArgumentError` naming the argument, before any state changes), finite input whose
 * arithmetic overflows (a `NumericalError`, state unchanged), disposed tensors, non-float32
 * dtypes (refused the same way on cpu and wasm), and plain-JavaScript misuse of the constructors.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as jd from '../../lib/index';
import { InvalidArgumentError, NumericalError, TfjsJdError } from '../../lib/errors';
import {
  AGGREGATORS,
  LOSS_AWARE_AGGREGATORS,
  WEIGHTINGS,
  type WeightingCase,
} from './_all_methods';

/**
 * Every aggregator as one call on an m-row matrix: `apply`, or `applyWithLosses` with valid
 * losses for the loss-aware ones (their losses are checked in loss_aware.spec.ts).
 */
const ALL_AGGREGATORS: { name: string; aggregate: (matrix: tf.Tensor2D) => tf.Tensor1D }[] = [
  ...AGGREGATORS.map((c) => ({
    name: c.name,
    aggregate: (matrix: tf.Tensor2D) => c.make(matrix.shape[0]).apply(matrix),
  })),
  ...LOSS_AWARE_AGGREGATORS.map((c) => ({
    name: c.name,
    aggregate: (matrix: tf.Tensor2D) =>
      c.make(matrix.shape[0]).applyWithLosses(
        matrix,
        Array.from({ length: matrix.shape[0] }, (_, i) => 1 + i / 2),
      ),
  })),
];

/** A full-rank m × n matrix with conflicting rows, as plain numbers. */
function rows(m: number, n: number, shift = 0): number[][] {
  return Array.from({ length: m }, (_, i) =>
    Array.from({ length: n }, (_, j) => Math.sin(1 + i * 3.1 + j * 1.7 + shift) * (i + 1)),
  );
}

/** The input a weighting takes, from an m × n matrix J: J Jᵀ, J₁ J₂ᵀ (two shifted J) or J. */
function inputOf(c: WeightingCase, m: number, shift = 0): tf.Tensor2D {
  return tf.tidy(() => {
    const J = tf.tensor2d(rows(m, 6, shift));
    if (c.input === 'gramian') return tf.matMul(J, J, false, true);
    if (c.input === 'square')
      return tf.matMul(J, tf.tensor2d(rows(m, 6, shift + 0.5)), false, true);
    return J;
  });
}

function weightsOf(w: jd.Weighting, input: tf.Tensor2D): number[] {
  const out = w.apply(input);
  const values = Array.from(out.dataSync());
  out.dispose();
  return values;
}

/** `input` with entry (0, 1) replaced by `bad`. */
function withEntry(input: tf.Tensor2D, bad: number): tf.Tensor2D {
  const values = input.arraySync();
  values[0][1] = bad;
  return tf.tensor2d(values);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe.each(WEIGHTINGS.filter((c) => c.readsValues))('%s', (c) => {
  const m = Math.max(4, c.minRows);
  const argument = c.input === 'gramian' ? 'gramian' : 'matrix';

  it.each([NaN, Infinity, -Infinity])(
    `rejects a %s entry with InvalidArgumentError naming its argument, state unchanged`,
    (bad) => {
      const first = inputOf(c, m);
      const second = inputOf(c, m, 0.3);
      const poisoned = withEntry(first, bad);
      const weighting = c.make(m);
      const reference = c.make(m);
      weightsOf(weighting, first);
      weightsOf(reference, first);
      const before = tf.memory().numTensors;
      const error = thrown(() => weighting.apply(poisoned));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
      expect(tf.memory().numTensors).toBe(before);
      // A stateful weighting goes on exactly as one that never saw the bad input.
      const after = weightsOf(weighting, second);
      expect(after.every(Number.isFinite)).toBe(true);
      expect(after).toEqual(weightsOf(reference, second));
      tf.dispose([first, second, poisoned]);
    },
  );
});

describe.each(LOSS_AWARE_AGGREGATORS)('$name', (c) => {
  const losses = [1, 0.5, 2, 0.8];
  const run = (a: jd.LossAwareAggregator, J: tf.Tensor2D) =>
    tf.tidy(() => Array.from(a.applyWithLosses(J, losses).dataSync()));

  it.each([NaN, Infinity, -Infinity])(
    'rejects a %s entry of the matrix with InvalidArgumentError naming matrix, state unchanged',
    (bad) => {
      const first = tf.tensor2d(rows(4, 6));
      const second = tf.tensor2d(rows(4, 6, 0.3));
      const poisoned = withEntry(first, bad);
      const tested = c.make(4);
      const reference = c.make(4);
      run(tested, first);
      run(reference, first);
      const before = tf.memory().numTensors;
      const error = thrown(() => tested.applyWithLosses(poisoned, losses));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe('matrix');
      expect(tf.memory().numTensors).toBe(before);
      const after = run(tested, second);
      expect(after.every(Number.isFinite)).toBe(true);
      expect(after).toEqual(run(reference, second));
      tested.reset();
      reference.reset();
      tf.dispose([first, second, poisoned]);
    },
  );

  it('checks the matrix before the losses', () => {
    const J = tf.tensor2d(rows(4, 6));
    J.dispose();
    const error = thrown(() => c.make(4).applyWithLosses(J, [NaN]));
    expect((error as InvalidArgumentError).argument).toBe('matrix');
  });
});

describe('a finite input whose arithmetic overflows', () => {
  it('GradVac with eps = 0 on a zero Gramian: NumericalError, targets unchanged', () => {
    // With two rows no random number is drawn, so the two weightings stay comparable.
    const weighting = new jd.GradVacWeighting({ eps: 0, seed: 0 });
    const reference = new jd.GradVacWeighting({ eps: 0, seed: 0 });
    const G = tf.tensor2d([
      [2, -1],
      [-1, 3],
    ]);
    const zero = tf.zeros([2, 2]) as tf.Tensor2D;
    weightsOf(weighting, G);
    weightsOf(reference, G);
    const before = tf.memory().numTensors;
    expect(() => weighting.apply(zero)).toThrow(NumericalError);
    expect(tf.memory().numTensors).toBe(before);
    expect(weightsOf(weighting, G)).toEqual(weightsOf(reference, G));
    tf.dispose([G, zero]);
  });

  it.each([
    ['Sum', () => new jd.Sum()],
    ['Constant', () => new jd.Constant([1e30, 1e30])],
    ['GradDrop', () => new jd.GradDrop({ seed: 0 })],
  ] as [string, () => jd.Aggregator][])(
    '%s: a combination that overflows float32 is a NumericalError, leaking nothing',
    (_name, make) => {
      const J = tf.tensor2d([
        [3e38, 1e10],
        [3e38, 1e10],
      ]);
      const before = tf.memory().numTensors;
      expect(() => make().apply(J)).toThrow(NumericalError);
      expect(tf.memory().numTensors).toBe(before);
      J.dispose();
    },
  );
});

describe('disposed tensors', () => {
  function disposed(shape: [number, number]): tf.Tensor2D {
    const t = tf.ones(shape) as tf.Tensor2D;
    t.dispose();
    return t;
  }

  it.each(ALL_AGGREGATORS.map((c) => [c.name, c] as const))(
    '%s: InvalidArgumentError naming matrix',
    (_name, c) => {
      const error = thrown(() => c.aggregate(disposed([4, 3])));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe('matrix');
      expect((error as Error).message).toMatch(/disposed/);
    },
  );

  it.each(WEIGHTINGS.map((c) => [c.name, c] as const))(
    '%s: InvalidArgumentError naming its argument',
    (_name, c) => {
      const error = thrown(() => c.make(4).apply(disposed([4, 4])));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(/disposed/);
    },
  );

  it('a disposed option tensor names the option', () => {
    const p = tf.tensor1d([1, 2]);
    p.dispose();
    expect(() => new jd.UPGrad({ prefVector: p })).toThrow(/`prefVector`.*disposed/);
    expect(() => new jd.Constant(p)).toThrow(/`weights`.*disposed/);
    expect(() => new jd.scalarization.Constant(p)).toThrow(/`weights`.*disposed/);
  });
});

describe('non-float32 matrices', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  /** The error each weighting gives for an int32 4 × 4 input, on the current backend. */
  function weightingErrors(): string[] {
    return WEIGHTINGS.map((c) => {
      const input = tf.tensor2d(
        [...Array(16).keys()].map((k) => (k % 5) * 60000 - 70000),
        [4, 4],
        'int32',
      );
      const error = thrown(() => c.make(4).apply(input));
      input.dispose();
      expect(error).toBeInstanceOf(InvalidArgumentError);
      return `${c.name}: ${(error as Error).message}`;
    });
  }

  /** The error each aggregator gives for an int32 and a bool matrix, on the current backend. */
  function errors(): string[] {
    return [
      ...weightingErrors(),
      ...ALL_AGGREGATORS.flatMap((c) => {
        const int = tf.tensor2d(
          [
            [60000, 1, 1],
            [-60000, 1, 1],
            [3, 1, 2],
            [4, 4, 4],
          ],
          undefined,
          'int32',
        );
        const bool = tf.tensor2d(
          [
            [1, 0, 1],
            [0, 1, 1],
            [1, 1, 1],
            [0, 0, 1],
          ],
          undefined,
          'bool',
        );
        const result = [int, bool].map((matrix) => {
          const error = thrown(() => c.aggregate(matrix));
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).argument).toBe('matrix');
          return `${c.name}: ${(error as Error).message}`;
        });
        tf.dispose([int, bool]);
        return result;
      }),
    ];
  }

  it('are refused by every aggregator and weighting with the same InvalidArgumentError on cpu and on wasm (no overflow)', async () => {
    const onCpu = errors();
    expect(onCpu[0]).toMatch(/`gramian`: expected a float32 tensor, got int32/);
    expect(onCpu[WEIGHTINGS.length]).toMatch(/`matrix`: expected a float32 tensor, got int32/);
    expect(onCpu[WEIGHTINGS.length + 1]).toMatch(/got bool/);
    await tf.setBackend('wasm');
    expect(errors()).toEqual(onCpu);
  });

  it('a NaN or ∞ entry gets the same error on cpu and on wasm, leaking nothing', async () => {
    const messages = () =>
      ALL_AGGREGATORS.flatMap((c) =>
        [NaN, Infinity].map((bad) => {
          const J = tf.tensor2d(rows(4, 5).map((row, i) => (i === 2 ? [1, bad, 2, 3, 4] : row)));
          const before = tf.memory().numTensors;
          const error = thrown(() => c.aggregate(J));
          expect(tf.memory().numTensors).toBe(before);
          J.dispose();
          expect(error).toBeInstanceOf(InvalidArgumentError);
          return `${c.name}: ${(error as InvalidArgumentError).argument} ${(error as Error).message}`;
        }),
      );
    await tf.setBackend('cpu');
    const onCpu = messages();
    await tf.setBackend('wasm');
    expect(messages()).toEqual(onCpu);
    await tf.setBackend('cpu');
  });

  it('and weightings refuse an int32 Gramian the same way', async () => {
    const G = tf.tensor2d(
      [
        [1, 0],
        [0, 1],
      ],
      undefined,
      'int32',
    );
    expect(() => new jd.UPGradWeighting().apply(G)).toThrow(/`gramian`: expected a float32/);
    G.dispose();
  });
});

describe('plain-JavaScript misuse', () => {
  // Calls a constructor the way untyped JavaScript can.
  const call = (cls: unknown, ...args: unknown[]) =>
    thrown(() => new (cls as new (...a: unknown[]) => unknown)(...args)) as InvalidArgumentError;

  it.each([
    ['NashMTL', jd.NashMTL, 'nTasks'],
    ['FairGrad', jd.FairGrad, 'alpha'],
    ['Krum', jd.Krum, 'nByzantine'],
    ['TrimmedMean', jd.TrimmedMean, 'trimNumber'],
    ['CAGrad', jd.CAGrad, 'c'],
    ['NashMTLWeighting', jd.NashMTLWeighting, 'nTasks'],
    ['KrumWeighting', jd.KrumWeighting, 'nByzantine'],
  ] as [string, unknown, string][])(
    'new %s() without options names options, and without %s names it',
    (name, cls, key) => {
      const missing = call(cls);
      expect(missing).toBeInstanceOf(InvalidArgumentError);
      expect(missing.argument).toBe('options');
      expect(missing.message).toContain(`new ${name}({ ${key}`);
      const empty = call(cls, {});
      expect(empty.argument).toBe(key);
      expect(empty.message).toMatch(/is required/);
    },
  );

  it.each([null, 5, 'x', [1, 2]])('an options object that is %p names options', (bad) => {
    for (const cls of [
      jd.UPGrad,
      jd.MGDA,
      jd.DualProj,
      jd.GradVac,
      jd.SDMGradWeighting,
      ...LOSS_AWARE_AGGREGATORS.map((c) => c.cls),
    ]) {
      const error = call(cls, bad);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.argument).toBe('options');
    }
  });

  it('a tensor where options are expected names options', () => {
    const t = tf.tensor1d([1, 2]);
    expect(call(jd.UPGrad, t).argument).toBe('options');
    t.dispose();
  });

  it('an aggregator where a weighting is expected names the argument and says why', () => {
    const wrapped = call(jd.GramianWeightedAggregator, new jd.UPGrad());
    expect(wrapped.argument).toBe('gramianWeighting');
    expect(wrapped.message).toMatch(/UPGrad is an aggregator/);
    expect(call(jd.CRMOGMWeighting, new jd.MGDA()).argument).toBe('weighting');
    expect(call(jd.WeightedAggregator, {}).argument).toBe('weighting');
  });

  it('every error above is a TfjsJdError', () => {
    expect(call(jd.Krum)).toBeInstanceOf(TfjsJdError);
  });
});
