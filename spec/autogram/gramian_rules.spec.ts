/**
 * The closed-form layer rules against explicit per-row gradients formed in plain JS (outer
 * products, scatters, and tf.variableGrads of a batch-of-one convolution), then their Gram matrix.
 */
import * as tf from '@tensorflow/tfjs';
import {
  biasGramian,
  conv2dKernelRowGradients,
  conv2dKernelTaskRows,
  denseKernelGramian,
  embeddingGramian,
  rowGradientGramian,
} from '../../lib/autogram';

function gram(rows: number[][]): number[][] {
  return rows.map((a) => rows.map((b) => a.reduce((s, x, k) => s + x * b[k], 0)));
}

function expectMatrixClose(actual: tf.Tensor, expected: number[][], tol = 1e-4): void {
  const values = actual.arraySync() as number[][];
  const scale = Math.max(1, ...expected.flat().map(Math.abs));
  values.forEach((row, i) =>
    row.forEach((x, j) => expect(Math.abs(x - expected[i][j])).toBeLessThanOrEqual(tol * scale)),
  );
}

function randomMatrix(rows: number, cols: number, seed: number): number[][] {
  return tf.tidy(() =>
    tf.randomNormal([rows, cols], 0, 1, 'float32', seed).arraySync(),
  ) as number[][];
}

it('denseKernelGramian equals the Gram matrix of the outer products aᵣᵀδᵣ', () => {
  const A = randomMatrix(4, 3, 1);
  const D = randomMatrix(4, 2, 2);
  const rows = A.map((a, r) => a.flatMap((ai) => D[r].map((dj) => ai * dj)));
  const [a, d] = [tf.tensor2d(A), tf.tensor2d(D)];
  const G = denseKernelGramian(a, d);
  expectMatrixClose(G, gram(rows));
  tf.dispose([a, d, G]);
});

it('biasGramian sums the output gradient over positions before the Gram matrix', () => {
  const D = tf.randomNormal([3, 4, 2], 0, 1, 'float32', 3);
  const values = D.arraySync() as number[][][];
  const rows = values.map((positions) =>
    [0, 1].map((c) => positions.reduce((s, p) => s + p[c], 0)),
  );
  const G = biasGramian(D);
  expectMatrixClose(G, gram(rows));
  tf.dispose([D, G]);
});

it('embeddingGramian (both forms) equals the Gram matrix of the scattered table gradients', () => {
  const vocabulary = 5;
  const idx = [
    [0, 4, 4],
    [4, 1, 0],
    [2, 2, 2],
  ];
  const D = tf.randomNormal([3, 3, 2], 0, 1, 'float32', 4);
  const grads = D.arraySync() as number[][][];
  const rows = idx.map((instance, r) => {
    const table = Array.from({ length: vocabulary * 2 }, () => 0);
    instance.forEach((v, p) => grads[r][p].forEach((g, c) => (table[v * 2 + c] += g)));
    return table;
  });
  const indices = tf.tensor2d(idx, [3, 3], 'int32');
  for (const form of ['pairs', 'scatter', undefined] as const) {
    const G = embeddingGramian(indices, D as tf.Tensor3D, vocabulary, form);
    expectMatrixClose(G, gram(rows));
    G.dispose();
  }
  tf.dispose([D, indices]);
});

it('conv2dKernelRowGradients matches tf.variableGrads of each instance (strides 2, same pad)', () => {
  const x = tf.randomNormal([3, 6, 6, 2], 0, 1, 'float32', 5) as tf.Tensor4D;
  const filter = tf.variable(tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 6));
  const dy = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 7) as tf.Tensor4D;
  const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
  const expected = [0, 1, 2].map((r) => {
    const { value, grads } = tf.variableGrads(
      () =>
        tf.sum(
          tf.mul(
            tf.conv2d(
              tf.slice(x, [r, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D,
              filter as tf.Tensor4D,
              2,
              'same',
            ),
            tf.slice(dy, [r, 0, 0, 0], [1, -1, -1, -1]),
          ),
        ) as tf.Scalar,
      [filter],
    );
    const row = Array.from(grads[filter.name].dataSync());
    tf.dispose([value, grads]);
    return row;
  });
  const rows = conv2dKernelRowGradients(x, dy, filter as tf.Tensor4D, attrs);
  expectMatrixClose(rows, expected);
  const G = rowGradientGramian(rows);
  expectMatrixClose(G, gram(expected));
  tf.dispose([x, filter, dy, rows, G]);
});

/** Explicit kernel gradient of `Σ ⟨dy, conv2d(x, filter)⟩`, by tf.variableGrads. */
function explicitKernelGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor,
  filter: tf.Variable,
  strides: number,
  pad: 'same' | 'valid',
): number[] {
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(tf.conv2d(x, filter as tf.Tensor4D, strides, pad), dy)) as tf.Scalar,
    [filter],
  );
  const row = Array.from(grads[filter.name].dataSync());
  tf.dispose([value, grads]);
  return row;
}

it.each([
  [1, 'valid'],
  [2, 'same'],
  [3, 'valid'],
] as const)(
  'conv2dKernelRowGradients: one row per instance, strides %s, %s padding',
  (strides, pad) => {
    const x = tf.randomNormal([5, 7, 7, 3], 0, 1, 'float32', 15) as tf.Tensor4D;
    const filter = tf.variable(tf.randomNormal([3, 2, 3, 4], 0, 1, 'float32', 16));
    const outShape = tf.conv2d(x, filter as tf.Tensor4D, strides, pad).shape;
    const dy = tf.randomNormal(outShape, 0, 1, 'float32', 17) as tf.Tensor4D;
    const expected = [0, 1, 2, 3, 4].map((r) =>
      tf.tidy(() =>
        explicitKernelGradient(
          tf.slice(x, [r, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D,
          tf.slice(dy, [r, 0, 0, 0], [1, -1, -1, -1]),
          filter,
          strides,
          pad,
        ),
      ),
    );
    const rows = conv2dKernelRowGradients(x, dy, filter as tf.Tensor4D, { strides, pad });
    expectMatrixClose(rows, expected);
    const G = rowGradientGramian(rows);
    expectMatrixClose(G, gram(expected));
    tf.dispose([x, filter, dy, rows, G]);
  },
);

it.each([
  [1, 'same'],
  [2, 'valid'],
] as const)(
  'conv2dKernelTaskRows: one row per objective over the whole batch, strides %s, %s',
  (strides, pad) => {
    const x = tf.randomNormal([3, 6, 6, 2], 0, 1, 'float32', 25) as tf.Tensor4D;
    const filter = tf.variable(tf.randomNormal([3, 3, 2, 5], 0, 1, 'float32', 26));
    const outShape = tf.conv2d(x, filter as tf.Tensor4D, strides, pad).shape;
    const deltas = tf.randomNormal([4, ...outShape], 0, 1, 'float32', 27);
    const expected = [0, 1, 2, 3].map((i) =>
      tf.tidy(() => explicitKernelGradient(x, tf.gather(deltas, i), filter, strides, pad)),
    );
    const rows = conv2dKernelTaskRows(x, deltas, [3, 3, 2, 5], { strides, pad });
    expectMatrixClose(rows, expected);
    tf.dispose([x, filter, deltas, rows]);
  },
);

it('rules leave no tensor behind', () => {
  const a = tf.randomNormal([4, 3]) as tf.Tensor2D;
  const d = tf.randomNormal([4, 2]) as tf.Tensor2D;
  const before = tf.memory().numTensors;
  for (let i = 0; i < 50; i++) {
    tf.dispose([denseKernelGramian(a, d), biasGramian(d), rowGradientGramian(a)]);
  }
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([a, d]);
});
