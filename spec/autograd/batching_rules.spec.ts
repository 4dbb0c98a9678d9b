/**
 * Every batching rule against the stack of single backward passes through the same recorded node:
 * k = 3 random cotangents at once must give exactly what 3 separate passes give, and the rule (not
 * the row-by-row fallback) must be what ran.
 */
import * as tf from '@tensorflow/tfjs';
import {
  BATCHED_KERNELS,
  differentiate,
  differentiateBatched,
  disposeGraph,
  fallbackCounts,
  record,
} from '../../lib/autograd';
import { transpose } from '../../lib/autograd/batching_rules/common';

const K = 3;

/** Distinct values in [lo, hi), deterministic. */
function values(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  return tf.randomUniform(shape, lo, hi, 'float32', seed);
}

function fallbacksOf(kernel: string): number {
  return fallbackCounts.get(kernel) ?? 0;
}

/**
 * Records `fn` of fresh variables of `shapes` (each passed through a multiplication first, so that
 * the node under test reads intermediates that `record` disposed and must use its saved clones),
 * then compares the batched pass with K single passes. Returns the kernels that fell back.
 */
function check(
  shapes: number[][],
  fn: (...xs: tf.Tensor[]) => tf.Tensor,
  options: { lo?: number; hi?: number; expectRuleFor?: string[] } = {},
): void {
  const before = tf.memory().numTensors;
  const vars = tf.tidy(() =>
    shapes.map((s, i) => tf.variable(values(s, 10 + i, options.lo ?? -1, options.hi ?? 1))),
  );
  const out = record(() => fn(...vars.map((v) => tf.mul(v, tf.scalar(1.25)))));
  const seeds = values([K, ...out.shape], 99);
  const counts = new Map(
    (options.expectRuleFor ?? []).map((kernel) => [kernel, fallbacksOf(kernel)]),
  );
  const batched = differentiateBatched([out], [seeds], vars, true);
  for (const [kernel, count] of counts) expect(fallbacksOf(kernel)).toBe(count);
  const rows = tf.unstack(seeds);
  const single = rows.map((seed) => differentiate([out], [seed], vars, true));
  vars.forEach((v, i) =>
    tf.tidy(() => {
      const expected = tf.stack(single.map((g) => g[i] ?? tf.zerosLike(v)));
      const actual = batched[i]!;
      expect(actual.shape).toEqual([K, ...v.shape]);
      const scale = Math.max(1, tf.max(tf.abs(expected)).dataSync()[0]);
      const error = tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0];
      expect(error).toBeLessThan(1e-5 * scale);
    }),
  );
  disposeGraph(out);
  tf.dispose([
    vars,
    out,
    seeds,
    rows,
    single.flat().filter((g): g is tf.Tensor => g !== null),
    batched.filter((g): g is tf.Tensor => g !== null),
  ]);
  expect(tf.memory().numTensors).toBe(before);
}

describe('batching rules', () => {
  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('BatchMatMul, transposeA %s, transposeB %s', (tA, tB) => {
    const a = tA ? [3, 4] : [4, 3];
    const b = tB ? [5, 3] : [3, 5];
    check([a, b], (x, w) => tf.matMul(x, w, tA, tB), { expectRuleFor: ['BatchMatMul'] });
  });

  it('BatchMatMul with batch dimensions', () => {
    check(
      [
        [2, 4, 3],
        [2, 3, 5],
      ],
      (x, w) => tf.matMul(x, w),
      { expectRuleFor: ['BatchMatMul'] },
    );
    check(
      [
        [2, 3, 4],
        [2, 5, 3],
      ],
      (x, w) => tf.matMul(x, w, true, true),
      {
        expectRuleFor: ['BatchMatMul'],
      },
    );
  });

  it('BatchMatMul with broadcast batch dimensions: the full operand by the rule', () => {
    // tfjs's own gradient of the broadcast operand has the wrong shape: only the other one is
    // differentiated (the broadcast one is a constant here).
    for (const [tA, tB] of [
      [false, false],
      [true, true],
    ]) {
      check(
        [tA ? [2, 4, 3] : [2, 3, 4]],
        (x) => tf.matMul(x, values(tB ? [5, 4] : [4, 5], 3), tA, tB),
        {
          expectRuleFor: ['BatchMatMul'],
        },
      );
      check(
        [tB ? [2, 3, 5, 4] : [2, 3, 4, 5]],
        (w) => tf.matMul(values(tA ? [3, 4, 2] : [3, 2, 4], 4), w, tA, tB),
        {
          expectRuleFor: ['BatchMatMul'],
        },
      );
    }
  });

  it('the fused matmul of a linear Dense, with and without bias', () => {
    check([[4, 3], [3, 5], [5]], (x, w, b) => tf.fused.matMul({ a: x, b: w, bias: b }), {
      expectRuleFor: ['fusedMatMul__op'],
    });
    check(
      [
        [4, 3],
        [3, 5],
      ],
      (x, w) => tf.fused.matMul({ a: x, b: w }),
      {
        expectRuleFor: ['fusedMatMul__op'],
      },
    );
  });

  it('the fused matmul with every transpose, square (ambiguous-shaped) operands included', () => {
    for (const [transposeA, transposeB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      check(
        [[3, 3], [3, 3], [3]],
        (x, w, b) => tf.fused.matMul({ a: x, b: w, bias: b, transposeA, transposeB }),
        {
          expectRuleFor: ['fusedMatMul__op'],
        },
      );
      check(
        [
          [4, 3],
          [3, 4],
        ]
          .map((s) => (transposeA ? [...s].reverse() : s))
          .map((s, i) => (i === 1 && transposeB !== transposeA ? [...s].reverse() : s)),
        (x, w) => tf.fused.matMul({ a: x, b: w, transposeA, transposeB }),
      );
    }
  });

  it.each([
    ['Add', (a: tf.Tensor, b: tf.Tensor) => tf.add(a, b)],
    ['Sub', (a: tf.Tensor, b: tf.Tensor) => tf.sub(a, b)],
    ['Multiply', (a: tf.Tensor, b: tf.Tensor) => tf.mul(a, b)],
    ['RealDiv', (a: tf.Tensor, b: tf.Tensor) => tf.div(a, tf.add(tf.square(b), 1))],
  ] as const)('%s with and without broadcasting', (kernel, op) => {
    for (const [a, b] of [
      [
        [2, 3],
        [2, 3],
      ],
      [[2, 3], [3]],
      [[2, 3], [1]],
      [
        [2, 1],
        [1, 3],
      ],
      [[4], [2, 3, 4]],
    ]) {
      check([a, b], op, { expectRuleFor: [kernel] });
    }
  });

  it('SquaredDifference (tfjs itself has no broadcasting gradient for it)', () => {
    check(
      [
        [2, 3],
        [2, 3],
      ],
      (a, b) => tf.squaredDifference(a, b),
      { expectRuleFor: ['SquaredDifference'] },
    );
  });

  it('AddN', () => {
    check(
      [
        [2, 3],
        [2, 3],
        [2, 3],
      ],
      (a, b, c) => tf.addN([a, b, c]),
      { expectRuleFor: ['AddN'] },
    );
  });

  it.each([
    ['Relu', tf.relu],
    ['Relu6', (x: tf.Tensor) => tf.relu6(tf.mul(x, 8))],
    ['LeakyRelu', (x: tf.Tensor) => tf.leakyRelu(x, 0.1)],
    ['Elu', tf.elu],
    ['Selu', tf.selu],
    ['Sigmoid', tf.sigmoid],
    ['Tanh', tf.tanh],
    ['Exp', tf.exp],
    ['Square', tf.square],
    ['Abs', tf.abs],
    ['ClipByValue', (x: tf.Tensor) => tf.clipByValue(x, -0.5, 0.5)],
    ['Softplus', tf.softplus],
    ['Sin', tf.sin],
    ['Cos', tf.cos],
    ['Neg', tf.neg],
    ['Erf', tf.erf],
  ] as [string, (x: tf.Tensor) => tf.Tensor][])('%s', (kernel, op) => {
    check([[2, 5]], (x) => op(x), { expectRuleFor: [kernel] });
  });

  it.each([
    ['Log', tf.log],
    ['Log1p', tf.log1p],
    ['Sqrt', tf.sqrt],
    ['Rsqrt', tf.rsqrt],
    ['Reciprocal', tf.reciprocal],
  ] as [string, (x: tf.Tensor) => tf.Tensor][])('%s (positive inputs)', (kernel, op) => {
    check([[2, 5]], (x) => op(x), { lo: 0.5, hi: 2, expectRuleFor: [kernel] });
  });

  it.each([
    ['Tan', tf.tan, -1, 1],
    ['Sinh', tf.sinh, -1, 1],
    ['Cosh', tf.cosh, -1, 1],
    ['Asin', tf.asin, -0.6, 0.6],
    ['Acos', tf.acos, -0.6, 0.6],
    ['Atan', tf.atan, -1, 1],
    ['Asinh', tf.asinh, -1, 1],
    ['Acosh', tf.acosh, 1.2, 2],
    ['Atanh', tf.atanh, -0.6, 0.6],
    ['Expm1', tf.expm1, -1, 1],
  ] as [string, (x: tf.Tensor) => tf.Tensor, number, number][])('%s', (kernel, op, lo, hi) => {
    check([[2, 5]], (x) => op(x), { lo, hi, expectRuleFor: [kernel] });
  });

  it('Reshape, Transpose, Concat, Pack, Slice', () => {
    check([[2, 6]], (x) => tf.reshape(x, [3, 4]), { expectRuleFor: ['Reshape'] });
    check([[2, 3, 4]], (x) => tf.transpose(x, [2, 0, 1]), { expectRuleFor: ['Transpose'] });
    check(
      [
        [2, 3],
        [2, 2],
      ],
      (a, b) => tf.concat([a, b], 1),
      { expectRuleFor: ['Concat'] },
    );
    check(
      [
        [2, 3],
        [1, 3],
      ],
      (a, b) => tf.concat([a, b], 0),
      { expectRuleFor: ['Concat'] },
    );
    check(
      [
        [2, 3],
        [2, 3],
      ],
      (a, b) => tf.stack([a, b], 1),
      { expectRuleFor: ['Pack'] },
    );
    check([[4, 5]], (x) => tf.slice(x, [1, 2], [2, -1]), { expectRuleFor: ['Slice'] });
  });

  it('Sum, Mean, Max over some axes, all axes, keeping dimensions', () => {
    for (const kernel of ['Sum', 'Mean', 'Max'] as const) {
      const op = { Sum: tf.sum, Mean: tf.mean, Max: tf.max }[kernel];
      check([[2, 3, 4]], (x) => op(x, 1), { expectRuleFor: [kernel] });
      check([[2, 3, 4]], (x) => op(x, [0, 2], true), { expectRuleFor: [kernel] });
      check([[2, 3, 4]], (x) => op(x), { expectRuleFor: [kernel] });
      check([[2, 3, 4]], (x) => op(x, -1), { expectRuleFor: [kernel] });
    }
  });

  it('Softmax and LogSoftmax', () => {
    check([[3, 5]], (x) => tf.softmax(x), { expectRuleFor: ['Softmax'] });
    check([[3, 5]], (x) => tf.logSoftmax(x), { expectRuleFor: ['LogSoftmax'] });
  });

  it('Conv2D: input and filter, strides, padding', () => {
    check(
      [
        [2, 5, 5, 3],
        [3, 3, 3, 4],
      ],
      (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid'),
      {
        expectRuleFor: ['Conv2D'],
      },
    );
    check(
      [
        [2, 6, 6, 2],
        [3, 3, 2, 3],
      ],
      (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'),
      {
        expectRuleFor: ['Conv2D'],
      },
    );
  });

  it('MaxPool and AvgPool', () => {
    check([[2, 4, 4, 3]], (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), {
      expectRuleFor: ['MaxPool'],
    });
    check([[2, 5, 5, 2]], (x) => tf.avgPool(x as tf.Tensor4D, 3, 2, 'same'), {
      expectRuleFor: ['AvgPool'],
    });
  });

  it('MaxPool over disjoint windows (leftover rows, same padding, ties) and overlapping ones', () => {
    for (const [shape, size, stride, pad] of [
      [[2, 5, 5, 3], 2, 2, 'valid'],
      [[2, 5, 5, 3], 2, 2, 'same'],
      [[2, 6, 4, 2], [3, 2], [3, 2], 'valid'],
      [[2, 5, 5, 2], 3, 2, 'valid'],
      [[2, 6, 6, 2], 3, 1, 'same'],
    ] as [number[], number | [number, number], number | [number, number], 'valid' | 'same'][]) {
      check([shape], (x) => tf.maxPool(x as tf.Tensor4D, size, stride, pad), {
        expectRuleFor: ['MaxPool'],
      });
      // After a relu, many windows hold several zeros: the kernel's own choice of maximum counts.
      check([shape], (x) => tf.maxPool(tf.relu(x) as tf.Tensor4D, size, stride, pad), {
        expectRuleFor: ['MaxPool'],
      });
    }
  });

  it('Conv3D, MaxPool3D and AvgPool3D', () => {
    check(
      [
        [2, 4, 4, 4, 2],
        [2, 3, 2, 2, 3],
      ],
      (x, f) => tf.conv3d(x as tf.Tensor5D, f as tf.Tensor5D, 1, 'valid'),
      { expectRuleFor: ['Conv3D'] },
    );
    check(
      [
        [1, 5, 4, 4, 1],
        [3, 3, 3, 1, 2],
      ],
      (x, f) => tf.conv3d(x as tf.Tensor5D, f as tf.Tensor5D, 2, 'same'),
      { expectRuleFor: ['Conv3D'] },
    );
    check([[2, 4, 4, 4, 2]], (x) => tf.maxPool3d(x as tf.Tensor5D, 2, 2, 'valid'), {
      expectRuleFor: ['MaxPool3D'],
    });
    check([[2, 5, 4, 4, 2]], (x) => tf.maxPool3d(tf.relu(x) as tf.Tensor5D, 3, 1, 'same'), {
      expectRuleFor: ['MaxPool3D'],
    });
    check([[2, 4, 5, 4, 2]], (x) => tf.avgPool3d(x as tf.Tensor5D, 2, [2, 1, 2], 'same'), {
      expectRuleFor: ['AvgPool3D'],
    });
  });

  it('the custom op of tf.losses.softmaxCrossEntropy, per instance and reduced', () => {
    const NONE = tf.Reduction.NONE;
    const labels = () => tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);
    check([[4, 3]], (x) => tf.losses.softmaxCrossEntropy(labels(), x, undefined, 0, NONE), {
      expectRuleFor: ['softmaxCrossEntropy__op'],
    });
    check([[4, 3]], (x) => tf.losses.softmaxCrossEntropy(labels(), x, undefined, 0.1), {
      expectRuleFor: ['softmaxCrossEntropy__op'],
    });
    check([[2, 3, 5]], (x) => tf.losses.softmaxCrossEntropy(tf.softmax(tf.neg(x)), x), {
      expectRuleFor: ['softmaxCrossEntropy__op'],
    });
    // Soft labels that depend on the variables too: the labels' gradient.
    check(
      [
        [4, 3],
        [4, 3],
      ],
      (l, x) => tf.losses.softmaxCrossEntropy(tf.softmax(l), x, undefined, 0, NONE),
      { expectRuleFor: ['softmaxCrossEntropy__op'] },
    );
  });

  it('the custom op of tf.logSoftmax, alone and in a negative log-likelihood', () => {
    check([[3, 5]], (x) => tf.logSoftmax(x), { expectRuleFor: ['logSoftmax__op'] });
    check([[2, 3, 4]], (x) => tf.logSoftmax(x, -1), { expectRuleFor: ['logSoftmax__op'] });
    check(
      [[4, 3]],
      (x) => tf.neg(tf.sum(tf.mul(tf.oneHot([0, 2, 1, 1], 3), tf.logSoftmax(x)), 1)),
      {
        expectRuleFor: ['logSoftmax__op'],
      },
    );
  });

  it('the fused conv2d of a linear tf.layers.conv2d: bias or none, strides, padding', () => {
    const configs: [number[], number[], number | [number, number], 'valid' | 'same'][] = [
      [[2, 5, 5, 3], [3, 3, 3, 4], 1, 'valid'],
      [[2, 5, 5, 3], [3, 3, 3, 4], 1, 'same'],
      [[2, 6, 7, 2], [3, 2, 2, 3], 2, 'same'],
      [[1, 6, 6, 2], [1, 1, 2, 3], [2, 3], 'valid'],
      // Output 2 × 2 from 4 × 4 under 'same' with strides 2 and with strides 3: the saved output
      // tells them apart.
      [[2, 4, 4, 1], [3, 3, 1, 2], 2, 'same'],
      [[2, 4, 4, 1], [3, 3, 1, 2], 3, 'same'],
      // One output row and column: every stride gives it.
      [[2, 3, 4, 2], [3, 4, 2, 3], 1, 'valid'],
      [[2, 5, 5, 1], [2, 2, 1, 2], [5, 4], 'valid'],
      [[1, 16, 12, 1], [3, 3, 1, 2], 1, 'same'],
    ];
    for (const [xShape, fShape, strides, pad] of configs) {
      const biasShape = [fShape[3]];
      check(
        [xShape, fShape, biasShape],
        (x, f, b) =>
          tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, bias: b, strides, pad }),
        { expectRuleFor: ['fusedConv2d__op'] },
      );
      check(
        [xShape, fShape],
        (x, f) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides, pad }),
        { expectRuleFor: ['fusedConv2d__op'] },
      );
    }
    // A broadcast [1, 1, F] bias (tfjs's own gradient fails for a 3-D input: no case here).
    check(
      [
        [2, 5, 5, 2],
        [3, 3, 2, 3],
        [1, 1, 3],
      ],
      (x, f, b) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: f as tf.Tensor4D,
          bias: b,
          strides: 1,
          pad: 'same',
        }),
      { expectRuleFor: ['fusedConv2d__op'] },
    );
  });

  it('a fused conv2d whose configuration the rule cannot recover falls back, exactly', () => {
    // An explicit padding of 1 with strides 3 on 7 × 7 gives the output shape of 'same', not its
    // values: the rule must not take it for 'same'.
    const before = fallbacksOf('fusedConv2d__op');
    check(
      [
        [2, 7, 7, 1],
        [2, 2, 1, 2],
      ],
      (x, f) =>
        tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 3, pad: 1 }),
    );
    expect(fallbacksOf('fusedConv2d__op')).toBe(before + 1);
  });

  it('GatherV2 along any axis, repeated and multi-dimensional indices', () => {
    check([[5, 3]], (x) => tf.gather(x, tf.tensor1d([4, 0, 4, 2], 'int32')), {
      expectRuleFor: ['GatherV2'],
    });
    check([[2, 5, 3]], (x) => tf.gather(x, tf.tensor2d([1, 1, 3, 0], [2, 2], 'int32'), 1), {
      expectRuleFor: ['GatherV2'],
    });
    check([[2, 3, 4]], (x) => tf.gather(x, tf.tensor1d([3, 0], 'int32'), -1), {
      expectRuleFor: ['GatherV2'],
    });
  });

  it('GatherV2 without UnsortedSegmentSum (as on wasm): the one-hot product gives the same', () => {
    const x = tf.variable(values([5, 3], 8));
    const out = record(() => tf.gather(tf.mul(x, 1.5), tf.tensor1d([4, 0, 4, 2], 'int32')));
    const seeds = values([K, 4, 3], 9);
    const [withKernel] = differentiateBatched([out], [seeds], [x], true);
    const kernel = tf.getKernel('UnsortedSegmentSum', tf.getBackend())!;
    tf.unregisterKernel('UnsortedSegmentSum', tf.getBackend());
    let withoutKernel: tf.Tensor | null = null;
    try {
      [withoutKernel] = differentiateBatched([out], [seeds], [x], false);
    } finally {
      tf.registerKernel(kernel);
    }
    expect(tf.max(tf.abs(tf.sub(withKernel!, withoutKernel!))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([x, out, seeds, withKernel!, withoutKernel!]);
  });

  it('SplitV (equal and given sizes, an output unused) and Unpack (an output unused)', () => {
    check(
      [[4, 6]],
      (x) => {
        const [a, , c] = tf.split(x, 3, 1);
        return tf.mul(a, c);
      },
      { expectRuleFor: ['SplitV'] },
    );
    check(
      [[5, 3, 2]],
      (x) => {
        const [a, b] = tf.split(x, [2, 3], 0);
        return tf.add(tf.sum(a, 0), tf.square(tf.sum(b, 0)));
      },
      { expectRuleFor: ['SplitV'] },
    );
    check(
      [[3, 4, 2]],
      (x) => {
        const [a, , c] = tf.unstack(x, 0);
        return tf.mul(a, c);
      },
      { expectRuleFor: ['Unpack'] },
    );
    check([[3, 4, 2]], (x) => tf.addN(tf.unstack(tf.square(x), 1)), {
      expectRuleFor: ['Unpack'],
    });
  });

  it('a pseudo-label (oneHot of argMax) against log-softmax: ArgMax, OneHot, Cast', () => {
    check(
      [[4, 3]],
      (x) => {
        const labels = tf.cast(tf.oneHot(tf.argMax(x, 1), 3), 'float32');
        return tf.sum(tf.mul(labels, tf.logSoftmax(x)), 1);
      },
      { expectRuleFor: ['ArgMax', 'OneHot', 'Cast', 'logSoftmax__op'] },
    );
  });

  it('Cumsum along the last axis, exclusive and reversed', () => {
    for (const [exclusive, reverse] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      check([[2, 4]], (x) => tf.cumsum(x, 1, exclusive, reverse), { expectRuleFor: ['Cumsum'] });
      check([[2, 3, 4]], (x) => tf.cumsum(x, 2, exclusive, reverse), {
        expectRuleFor: ['Cumsum'],
      });
    }
  });

  it('Atan2, Mod and FloorDiv with and without broadcasting', () => {
    for (const [a, b] of [
      [
        [2, 3],
        [2, 3],
      ],
      [[2, 3], [3]],
      [[3], [2, 3]],
    ]) {
      check([a, b], (x, y) => tf.atan2(x, y), { expectRuleFor: ['Atan2'] });
      check([a, b], (x, y) => tf.mod(x, tf.add(tf.abs(y), 0.5)), {
        expectRuleFor: ['Mod'],
      });
      check([a, b], (x, y) => tf.floorDiv(x, tf.add(tf.abs(y), 0.5)), {
        expectRuleFor: ['FloorDiv'],
      });
    }
  });

  it('Tile, PadV2, MirrorPad, ExpandDims, BroadcastTo, Reverse', () => {
    check([[3]], (x) => tf.tile(x, [4]), { expectRuleFor: ['Tile'] });
    check([[2, 3]], (x) => tf.tile(x, [2, 3]), { expectRuleFor: ['Tile'] });
    check([[2, 1, 3, 2]], (x) => tf.tile(x, [1, 4, 2, 1]), { expectRuleFor: ['Tile'] });
    check(
      [[2, 3]],
      (x) =>
        tf.pad(
          x,
          [
            [1, 0],
            [2, 3],
          ],
          0.5,
        ),
      { expectRuleFor: ['PadV2'] },
    );
    check(
      [[3, 4]],
      (x) =>
        tf.mirrorPad(
          x,
          [
            [1, 2],
            [0, 2],
          ],
          'reflect',
        ),
      {
        expectRuleFor: ['MirrorPad'],
      },
    );
    check(
      [[3, 4]],
      (x) =>
        tf.mirrorPad(
          x,
          [
            [2, 1],
            [1, 0],
          ],
          'symmetric',
        ),
      {
        expectRuleFor: ['MirrorPad'],
      },
    );
    check([[2, 3]], (x) => tf.expandDims(x, 1), { expectRuleFor: ['ExpandDims'] });
    check([[2, 1]], (x) => tf.broadcastTo(x, [3, 2, 4]), { expectRuleFor: ['BroadcastTo'] });
    check([[3, 4]], (x) => tf.reverse(x, 1), { expectRuleFor: ['Reverse'] });
    check([[2, 3, 4]], (x) => tf.reverse(x, [0, 2]), { expectRuleFor: ['Reverse'] });
  });

  it.each([
    ['Step', (x: tf.Tensor) => tf.step(x)],
    ['Sign', tf.sign],
    ['Floor', tf.floor],
    ['Ceil', tf.ceil],
    ['Round', tf.round],
    ['ZerosLike', tf.zerosLike],
    ['OnesLike', tf.onesLike],
    ['IsNan', (x: tf.Tensor) => tf.cast(tf.isNaN(x), 'float32')],
    ['IsInf', (x: tf.Tensor) => tf.cast(tf.isInf(x), 'float32')],
    ['IsFinite', (x: tf.Tensor) => tf.cast(tf.isFinite(x), 'float32')],
    ['GreaterEqual', (x: tf.Tensor) => tf.cast(tf.greaterEqual(x, 0), 'float32')],
    ['ArgMax', (x: tf.Tensor) => tf.cast(tf.argMax(x, 1), 'float32')],
    ['ArgMin', (x: tf.Tensor) => tf.cast(tf.argMin(x, 1), 'float32')],
  ] as [string, (x: tf.Tensor) => tf.Tensor][])('%s (zero gradient)', (kernel, op) => {
    check([[2, 5]], (x) => tf.add(tf.reshape(op(tf.mul(x, 3)), [2, -1]), x), {
      expectRuleFor: [kernel, 'Cast'],
    });
  });

  it('the fused matmul with a zero operand (a recurrent initial state): the own gradient decides', () => {
    for (const [transposeA, transposeB] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ]) {
      check(
        [
          [3, 3],
          [3, 3],
        ],
        (h, w) => {
          // Zero-valued, yet with the identity as gradient: every transpose reproduces the output.
          const zero = tf.sub(h, tf.tensor(h.dataSync(), h.shape));
          return tf.fused.matMul({ a: zero, b: w, transposeA, transposeB });
        },
        { expectRuleFor: ['fusedMatMul__op'] },
      );
    }
  });

  it('Maximum and Minimum (relu6 layers, huber loss), ties included', () => {
    for (const [kernel, op] of [
      ['Maximum', tf.maximum],
      ['Minimum', tf.minimum],
    ] as const) {
      check(
        [
          [2, 5],
          [2, 5],
        ],
        (a, b) => op(a, b),
        { expectRuleFor: [kernel] },
      );
      // A constant operand broadcast (off the path), and ties at 0.
      check([[2, 5]], (a) => op(tf.relu(a), 0.25), { expectRuleFor: [kernel] });
      check([[2, 5]], (a) => op(a, a), { expectRuleFor: [kernel] });
    }
  });

  it('Prelu with a per-channel and a full alpha', () => {
    check([[2, 3, 4], [4]], (x, alpha) => tf.prelu(x, alpha), { expectRuleFor: ['Prelu'] });
    check(
      [
        [2, 3],
        [2, 3],
      ],
      (x, alpha) => tf.prelu(x, alpha),
      { expectRuleFor: ['Prelu'] },
    );
    check(
      [
        [2, 3, 4],
        [3, 1],
      ],
      (x, alpha) => tf.prelu(x, alpha),
      { expectRuleFor: ['Prelu'] },
    );
  });

  it('Pow of positive bases, with broadcasting, and a constant exponent', () => {
    check(
      [
        [2, 3],
        [2, 3],
      ],
      (a, b) => tf.pow(a, b),
      { lo: 0.5, hi: 2, expectRuleFor: ['Pow'] },
    );
    check([[2, 3], [3]], (a, b) => tf.pow(a, b), { lo: 0.5, hi: 2, expectRuleFor: ['Pow'] });
    check([[2, 3]], (a) => tf.pow(a, tf.scalar(3)), { expectRuleFor: ['Pow'] });
  });

  it('Select (tf.where) and Min', () => {
    check(
      [
        [2, 5],
        [2, 5],
      ],
      // A constant condition (a comparison has no gradient and stays off the path).
      (t, e) =>
        tf.where(tf.tensor([1, 0, 0, 1, 1, 0, 1, 0, 1, 1], [2, 5], 'bool'), tf.square(t), e),
      { expectRuleFor: ['Select'] },
    );
    check([[2, 3, 4]], (x) => tf.min(x, 1), { expectRuleFor: ['Min'] });
    check([[2, 3, 4]], (x) => tf.min(x, [0, 2], true), { expectRuleFor: ['Min'] });
    check([[2, 3, 4]], (x) => tf.min(x), { expectRuleFor: ['Min'] });
  });

  it('FusedBatchNorm with per-channel moments (inference) and full ones (layer norm)', () => {
    // (tfjs cannot record a batch norm without scale: it saves the missing input.)
    check(
      [[2, 3, 3, 4], [4], [4], [4], [4]],
      (x, m, v, offset, scale) =>
        tf.batchNorm(x, m, tf.add(tf.square(v), 0.5), offset, scale, 0.001),
      { expectRuleFor: ['FusedBatchNorm'] },
    );
    check(
      [
        [3, 4],
        [3, 4],
        [3, 4],
        [3, 4],
        [3, 4],
      ],
      (x, m, v, offset, scale) =>
        tf.batchNorm(x, m, tf.add(tf.square(v), 0.5), offset, scale, 0.001),
      { expectRuleFor: ['FusedBatchNorm'] },
    );
  });

  it('ResizeBilinear, every corner option (square images: the cpu gradient swaps height and width otherwise)', () => {
    for (const [alignCorners, halfPixelCenters] of [
      [false, false],
      [true, false],
      [false, true],
    ]) {
      check(
        [[2, 3, 3, 2]],
        (x) => tf.image.resizeBilinear(x as tf.Tensor4D, [5, 7], alignCorners, halfPixelCenters),
        { expectRuleFor: ['ResizeBilinear'] },
      );
    }
  });

  it('ResizeNearestNeighbor by whole factors (upSampling2d); other sizes fall back', () => {
    // One image: tfjs's cpu gradient kernel is only right image by image.
    for (const halfPixelCenters of [false, true]) {
      check(
        [[1, 3, 4, 2]],
        (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [6, 12], false, halfPixelCenters),
        { expectRuleFor: ['ResizeNearestNeighbor'] },
      );
    }
    const before = fallbacksOf('ResizeNearestNeighbor');
    check([[1, 3, 4, 2]], (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [5, 7], true));
    check([[1, 3, 4, 2]], (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [5, 7]));
    expect(fallbacksOf('ResizeNearestNeighbor')).toBe(before + 2);
  });

  it('ResizeNearestNeighbor of a batch of images: each pixel gets the sum of its block', () => {
    const x = tf.variable(values([2, 3, 4, 2], 5));
    const out = record(() => tf.image.resizeNearestNeighbor(tf.mul(x, 2) as tf.Tensor4D, [6, 8]));
    const seeds = values([K, 2, 6, 8, 2], 6);
    const [batched] = differentiateBatched([out], [seeds], [x], false);
    const blockSums = tf.tidy(() =>
      tf.mul(tf.sum(tf.reshape(seeds, [K, 2, 3, 2, 4, 2, 2]), [3, 5]), 2),
    );
    expect(tf.max(tf.abs(tf.sub(batched!, blockSums))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, out, seeds, batched!, blockSums]);
  });

  it('DepthwiseConv2dNative: channel multipliers, strides, padding', () => {
    for (const [xShape, fShape, strides, pad] of [
      [[2, 5, 5, 3], [3, 3, 3, 1], 1, 'valid'],
      [[2, 6, 6, 2], [3, 3, 2, 3], 2, 'same'],
      [[1, 5, 4, 2], [2, 2, 2, 2], 1, 'same'],
    ] as [number[], number[], number, 'same' | 'valid'][]) {
      check(
        [xShape, fShape],
        (x, f) => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, strides, pad),
        {
          expectRuleFor: ['DepthwiseConv2dNative'],
        },
      );
    }
    // separableConv2d: a depthwise then a pointwise Conv2D.
    check(
      [
        [2, 5, 5, 2],
        [3, 3, 2, 2],
        [1, 1, 4, 3],
      ],
      (x, d, p) =>
        tf.separableConv2d(x as tf.Tensor4D, d as tf.Tensor4D, p as tf.Tensor4D, 1, 'same'),
      { expectRuleFor: ['DepthwiseConv2dNative', 'Conv2D'] },
    );
  });

  it('Conv2DBackpropInput (conv2dTranspose): its input and filter', () => {
    check(
      [
        [2, 3, 3, 4],
        [3, 3, 2, 4],
      ],
      (y, f) => tf.conv2dTranspose(y as tf.Tensor4D, f as tf.Tensor4D, [2, 7, 7, 2], 2, 'valid'),
      { expectRuleFor: ['Conv2DBackpropInput'] },
    );
    check(
      [
        [1, 3, 3, 2],
        [2, 2, 3, 2],
      ],
      (y, f) => tf.conv2dTranspose(y as tf.Tensor4D, f as tf.Tensor4D, [1, 6, 6, 3], 2, 'same'),
      { expectRuleFor: ['Conv2DBackpropInput'] },
    );
  });

  it('a small network: conv, pool, dense, softmax cross-entropy', () => {
    check([[2, 6, 6, 1], [3, 3, 1, 2], [8, 3], [3]], (x, f, w, b) => {
      const h = tf.relu(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'));
      const pooled = tf.reshape(tf.maxPool(h, 3, 3, 'valid'), [2, 8]);
      const logits = tf.add(tf.matMul(pooled, w), b);
      return tf.losses.softmaxCrossEntropy(tf.oneHot([0, 2], 3), logits);
    });
  });

  it('a kernel without a rule falls back to one pass per row, exactly', () => {
    expect(BATCHED_KERNELS).not.toContain('SpaceToBatchND');
    const before = fallbacksOf('SpaceToBatchND');
    check([[2, 4, 4, 1]], (x) =>
      tf.spaceToBatchND(
        tf.relu(x),
        [2, 2],
        [
          [0, 0],
          [0, 0],
        ],
      ),
    );
    check([[1, 2, 3, 2]], (x) =>
      tf.spaceToBatchND(
        x,
        [2, 2],
        [
          [1, 1],
          [0, 1],
        ],
      ),
    );
    expect(fallbacksOf('SpaceToBatchND')).toBe(before + 2);
  });

  it('UnsortedSegmentSum, negative segment ids included, and LRN', () => {
    check([[4, 3]], (x) => tf.unsortedSegmentSum(x, tf.tensor1d([1, 0, 1, 2], 'int32'), 3), {
      expectRuleFor: ['UnsortedSegmentSum'],
    });
    check([[5]], (x) => tf.unsortedSegmentSum(x, tf.tensor1d([3, -1, 0, 3, 1], 'int32'), 4), {
      expectRuleFor: ['UnsortedSegmentSum'],
    });
    check([[2, 3, 3, 5]], (x) => tf.localResponseNormalization(x as tf.Tensor4D, 2, 1, 0.5, 0.75), {
      expectRuleFor: ['LRN'],
    });
  });

  it('Prod over some axes, all, keeping dimensions, zeros included', () => {
    check([[2, 3]], (x) => tf.prod(x, 1), { expectRuleFor: ['Prod'] });
    check([[2, 3, 2]], (x) => tf.prod(x, [0, 2]), { expectRuleFor: ['Prod'] });
    check([[2, 3, 2]], (x) => tf.prod(x, 1, true), { expectRuleFor: ['Prod'] });
    check([[2, 3]], (x) => tf.prod(x), { expectRuleFor: ['Prod'] });
    check([[2, 3]], (x) => tf.prod(tf.relu(x), 1), { expectRuleFor: ['Prod'] });
  });

  it('a multi-output kernel with an unused output', () => {
    check([[4, 3]], (x) => {
      const [a, , c] = tf.split(x, 3, 1);
      return tf.mul(a, c);
    });
  });

  it("the rules' transpose (axes that stay together merged first) is tf.transpose", () => {
    const x = values([2, 3, 4, 5, 6], 3);
    for (const perm of [
      [1, 2, 3, 0, 4],
      [3, 0, 1, 2, 4],
      [0, 1, 2, 3, 4],
      [4, 3, 2, 1, 0],
      [2, 3, 0, 1, 4],
      [0, 2, 1, 3, 4],
    ]) {
      tf.tidy(() => {
        const expected = tf.transpose(x, perm);
        const actual = transpose(x, perm);
        expect(actual.shape).toEqual(expected.shape);
        expect(tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]).toBe(0);
      });
    }
    x.dispose();
  });

  it('every kernel named as batched has a spec above', () => {
    const covered = [
      'Abs',
      'Add',
      'AddN',
      'AvgPool',
      'BatchMatMul',
      'Cast',
      'ClipByValue',
      'Concat',
      'Conv2D',
      'Cos',
      'Elu',
      'Erf',
      'Exp',
      'Identity',
      'LeakyRelu',
      'Log',
      'Log1p',
      'LogSoftmax',
      'Max',
      'MaxPool',
      'Mean',
      'Multiply',
      'Neg',
      'Pack',
      'RealDiv',
      'Reciprocal',
      'Relu',
      'Relu6',
      'Reshape',
      'Rsqrt',
      'Selu',
      'Sigmoid',
      'Sin',
      'Slice',
      'Softmax',
      'Softplus',
      'Sqrt',
      'Square',
      'SquaredDifference',
      'Sub',
      'Sum',
      'Tanh',
      'Transpose',
      'fusedMatMul__op',
      'fusedConv2d__op',
      'logSoftmax__op',
      'softmaxCrossEntropy__op',
      'GatherV2',
      'SplitV',
      'Unpack',
      'Tile',
      'PadV2',
      'MirrorPad',
      'ExpandDims',
      'BroadcastTo',
      'Reverse',
      'Step',
      'Sign',
      'Floor',
      'Ceil',
      'Round',
      'ZerosLike',
      'OnesLike',
      'Maximum',
      'Minimum',
      'Prelu',
      'Pow',
      'Select',
      'Min',
      'FusedBatchNorm',
      'ResizeBilinear',
      'ResizeNearestNeighbor',
      'DepthwiseConv2dNative',
      'Conv2DBackpropInput',
      'Tan',
      'Sinh',
      'Cosh',
      'Asin',
      'Acos',
      'Atan',
      'Asinh',
      'Acosh',
      'Atanh',
      'Expm1',
      'IsNan',
      'IsInf',
      'IsFinite',
      'ArgMax',
      'ArgMin',
      'GreaterEqual',
      'OneHot',
      'Cumsum',
      'Atan2',
      'Mod',
      'FloorDiv',
      'Prod',
      'Conv3D',
      'MaxPool3D',
      'AvgPool3D',
      'UnsortedSegmentSum',
      'LRN',
    ];
    expect([...BATCHED_KERNELS].sort()).toEqual([...covered].sort());
  });

  it('Cast and Identity', () => {
    // tf.cast to the same dtype does not run a kernel; a float cast of a float via the engine does.
    check(
      [[2, 3]],
      (x) => tf.engine().runKernel('Cast', { x }, { dtype: 'float32' }) as tf.Tensor,
      {
        expectRuleFor: ['Cast'],
      },
    );
    check([[2, 3]], (x) => tf.engine().runKernel('Identity', { x }, {}) as tf.Tensor, {
      expectRuleFor: ['Identity'],
    });
  });
});
