/**
 * `grad` and `backward` beyond the PyTorch notebook facts: seeds, several outputs, intermediates,
 * graphs chained across records, and which nodes a non-retaining pass frees. Reference values are
 * closed forms derived by hand in the comments, or tfjs's own `tf.variableGrads`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  backward,
  disposeGraph,
  grad,
  gradOf,
  gradsMap,
  GraphFreedError,
  record,
  zeroGrad,
} from '../../lib/autograd';

function expectValues(actual: tf.Tensor | null, expected: number[]): void {
  expect(actual).not.toBeNull();
  const values = Array.from(actual!.dataSync());
  expect(values.length).toBe(expected.length);
  values.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

const wValues = [1, 2, 3];
const g = [1, -1, 2];

describe('grad', () => {
  let w: tf.Variable;
  beforeEach(() => (w = tf.variable(tf.tensor1d(wValues))));
  afterEach(() => {
    w.dispose();
    zeroGrad();
  });

  it('seeds a non-scalar output with gradOutputs: d⟨g, w²⟩/dw = 2w·g', () => {
    const y = record(() => tf.square(w));
    const [dW] = grad(y, w, { gradOutputs: tf.tensor1d(g) });
    expectValues(
      dW,
      wValues.map((v, i) => 2 * v * g[i]),
    );
    tf.dispose([y, dW]);
  });

  it('sums over several outputs: d(Σw² + Σ3w)/dw = 2w + 3', () => {
    const { a, b } = record(() => ({ a: tf.sum(tf.square(w)), b: tf.sum(tf.mul(w, 3)) }));
    const [dW] = grad([a, b], [w]);
    expectValues(
      dW,
      wValues.map((v) => 2 * v + 3),
    );
    tf.dispose([a, b, dW]);
  });

  it('gives zeros for an input the outputs do not depend on, and stores nothing', () => {
    const unused = tf.variable(tf.tensor2d([[5, 6]]));
    const y = record(() => tf.sum(tf.square(w)));
    const [dW, dUnused] = grad(y, [w, unused]);
    expectValues(
      dW,
      wValues.map((v) => 2 * v),
    );
    expect(dUnused.shape).toEqual([1, 2]);
    expectValues(dUnused, [0, 0]);
    expect(gradOf(w)).toBeNull();
    tf.dispose([y, dW, dUnused, unused]);
  });

  it('differentiates with respect to a tensor returned by an earlier record', () => {
    // features = relu(x·w) in one record, loss = Σ features² in another: dloss/dfeatures = 2·features.
    const x = tf.tensor2d([[1, -1, 0.5]]);
    const features = record(() => tf.relu(tf.mul(x, w)));
    const loss = record(() => tf.sum(tf.square(features)));
    const [dFeatures, dW] = grad(loss, [features, w]);
    expectValues(dFeatures, [2, 0, 3]); // features = [1, 0 (relu of −2), 1.5]
    // dloss/dw = 2·features·x where relu is active: [2·1·1, 0, 2·1.5·0.5].
    expectValues(dW, [2, 0, 1.5]);
    tf.dispose([x, features, loss, dFeatures, dW]);
  });

  it('returns the seed for an output that is also an input', () => {
    const y = record(() => tf.square(w));
    const [dY] = grad(y, y, { gradOutputs: tf.tensor1d(g) });
    expectValues(dY, g);
    tf.dispose([y, dY]);
  });
});

describe('backward', () => {
  let w: tf.Variable;
  beforeEach(() => (w = tf.variable(tf.tensor1d(wValues))));
  afterEach(() => {
    w.dispose();
    zeroGrad();
  });

  it('takes the gradient of a non-scalar output: .grad = 2w·g', () => {
    const y = record(() => tf.square(w));
    backward(y, { gradient: tf.tensor1d(g) });
    expectValues(
      gradOf(w),
      wValues.map((v, i) => 2 * v * g[i]),
    );
    y.dispose();
  });

  it('takes several outputs with one gradient each, like torch.autograd.backward', () => {
    // ⟨g, w²⟩ + 2·Σw → 2w·g + 2.
    const { y1, y2 } = record(() => ({ y1: tf.square(w), y2: tf.sum(w) }));
    backward([y1, y2], { gradient: [tf.tensor1d(g), tf.scalar(2)] });
    expectValues(
      gradOf(w),
      wValues.map((v, i) => 2 * v * g[i] + 2),
    );
    tf.dispose([y1, y2]);
  });

  it('fills only the variables given as inputs', () => {
    const u = tf.variable(tf.scalar(4));
    const loss = record(() => tf.mul(tf.sum(w), u));
    backward(loss, { inputs: [u] });
    expect(gradOf(w)).toBeNull();
    expectValues(gradOf(u), [6]); // d(u·Σw)/du = Σw = 6
    tf.dispose([loss, u]);
  });

  it('starts from a variable itself: its gradient is the seed', () => {
    record(() => tf.sum(w)).dispose(); // a recorded read makes w a leaf of a graph
    backward(w, { gradient: tf.tensor1d(g) });
    expectValues(gradOf(w), g);
  });

  it('goes through tf.customGrad ops (softmax cross-entropy) as tf.variableGrads does', () => {
    const w = tf.variable(tf.tensor2d([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [2, 3]));
    const x = tf.tensor2d([
      [1, 2],
      [-1, 0.5],
    ]);
    const labels = tf.tensor2d([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    const objective = () =>
      tf.add(
        tf.losses.softmaxCrossEntropy(labels, tf.matMul(x, w)),
        tf.losses.sigmoidCrossEntropy(labels, tf.matMul(x, w)),
      ) as tf.Scalar;
    const loss = record(objective);
    const [ours] = grad(loss, w);
    const { value, grads } = tf.variableGrads(objective);
    expect(maxAbsDiff(ours, grads[w.name])).toBeLessThan(1e-6);
    expect(tf.tidy(() => tf.max(tf.abs(ours)).dataSync()[0])).toBeGreaterThan(1e-3); // not zero
    tf.dispose([w, x, labels, loss, ours, value, grads]);
  });

  it('works for a tf.sequential forward pass through model.predict', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 2, activation: 'sigmoid' }),
        tf.layers.dense({ units: 1 }),
      ],
    });
    const x = tf.tensor2d([
      [1, 2, 3],
      [0, -1, 4],
    ]);
    const objective = () => tf.sum(model.predict(x) as tf.Tensor) as tf.Scalar;
    const loss = record(objective);
    backward(loss);
    const { value, grads } = tf.variableGrads(objective);
    for (const weight of model.trainableWeights) {
      const variable = weight.read() as tf.Variable;
      expect(maxAbsDiff(gradOf(variable)!, grads[variable.name])).toBeLessThan(1e-6);
    }
    tf.dispose([loss, value, grads, x]);
    model.dispose();
  });
});

describe('freeing', () => {
  it('a non-retaining pass frees only the nodes it went through, as in PyTorch', () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.tensor1d([0, 1]));
    const { l1, l2 } = record(() => ({ l1: tf.sum(tf.square(a)), l2: tf.sum(tf.exp(b)) }));
    backward(l1);
    backward(l2); // independent branch: still alive
    expectValues(gradOf(a), [2, 4]);
    expectValues(gradOf(b), [1, Math.E]);
    expect(() => backward(l1)).toThrow(GraphFreedError);
    expect(() => grad(l2, b)).toThrow(/retainGraph: true/);
    tf.dispose([l1, l2, a, b]);
    zeroGrad();
  });

  it('disposeGraph frees a retained graph', () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const out = record(() => ({ loss: tf.sum(tf.square(a)) }));
    backward(out.loss, { retainGraph: true });
    disposeGraph(out);
    expect(() => backward(out.loss)).toThrow(GraphFreedError);
    tf.dispose([out.loss, a]);
    zeroGrad();
  });

  it('keeps the graph of disposed outputs that a later record still builds on', () => {
    // loss = Σ (2w)² recorded in two steps; d/dw = 8w.
    const w = tf.variable(tf.tensor1d([1, -3]));
    const features = record(() => tf.mul(w, 2));
    const loss = record(() => tf.sum(tf.square(features)));
    features.dispose();
    record(() => tf.scalar(1)).dispose(); // a later record collects unreachable graphs
    backward(loss);
    expectValues(gradOf(w), [8, -24]);
    loss.dispose();
    w.dispose();
    zeroGrad();
  });
});

describe('recording', () => {
  it('a forward pass that throws leaves no tensors behind and the tape off', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const before = tf.memory().numTensors;
    expect(() =>
      record(() => {
        tf.exp(tf.square(w));
        throw new Error('bad forward');
      }),
    ).toThrow('bad forward');
    expect(tf.memory().numTensors).toBe(before);
    // tfjs's own tape still works: d Σw²/dw = 2w.
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(w)) as tf.Scalar);
    expect(Array.from(grads[w.name].dataSync())).toEqual([2, 4]);
    tf.dispose([value, grads, w]);
  });

  it('records tf.grad inside record, giving second derivatives (PyTorch’s create_graph)', () => {
    // f(x) = Σx³: inside record, Σ f'(w) = Σ3w² = 15 at w = [1, 2]; its gradient is 6w.
    const w = tf.variable(tf.tensor1d([1, 2]));
    const before = tf.memory().numTensors;
    const slopeSum = record(() => tf.sum(tf.grad((x: tf.Tensor) => tf.sum(tf.pow(x, 3)))(w)));
    expect(slopeSum.dataSync()[0]).toBeCloseTo(15, 4);
    const [curvature] = grad(slopeSum, w);
    expectValues(curvature, [6, 12]);
    tf.dispose([slopeSum, curvature]);
    record(() => tf.scalar(0)).dispose(); // collects what the non-retaining pass did not visit
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });

  it('is invisible to a tf.variableGrads around it, as documented', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    expect(() =>
      tf.variableGrads(() => record(() => tf.sum(tf.square(w))) as tf.Scalar, [w]),
    ).toThrow(/Cannot find a connection/);
    record(() => tf.scalar(0)).dispose();
    w.dispose();
  });

  it('a record nested in another one differentiates through both', () => {
    // loss = Σ exp(w)·3 → dloss/dw = 3·exp(w).
    const w = tf.variable(tf.tensor1d([0, 1]));
    const loss = record(() =>
      tf.sum(
        tf.mul(
          record(() => tf.exp(w)),
          3,
        ),
      ),
    );
    record(() => tf.scalar(0)).dispose(); // the inner output is disposed: must not be collected
    const [dW] = grad(loss, w);
    expectValues(dW, [3, 3 * Math.E]);
    tf.dispose([loss, dW, w]);
  });
});

describe('gradsMap', () => {
  it('lists the variables in creation order, whatever order their gradients came in', () => {
    const first = tf.variable(tf.scalar(1), true, 'gradsMap/first');
    const second = tf.variable(tf.scalar(2), true, 'gradsMap/second');
    backward(record(() => tf.mul(second, 3)));
    backward(record(() => tf.mul(first, 2)));
    // tfjs optimizers match their state (Adam's moments…) to the gradients by position.
    expect(Object.keys(gradsMap())).toEqual(['gradsMap/first', 'gradsMap/second']);
    expect(Object.keys(gradsMap([second, first]))).toEqual(['gradsMap/second', 'gradsMap/first']);
    zeroGrad();
    tf.dispose([first, second]);
  });
});
