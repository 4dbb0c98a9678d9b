/**
 * The autograd facts users learn from PyTorch notebooks, with the same numbers, on tfjs-jd.
 */
import * as tf from '@tensorflow/tfjs';
import { backward, grad, gradOf, record, zeroGrad, GraphFreedError } from '../../lib/autograd';

function expectClose(actual: tf.Tensor | null, expected: number[] | number[][] | number): void {
  expect(actual).not.toBeNull();
  const values = actual!.arraySync();
  const flatActual = [values].flat(3) as number[];
  const flatExpected = [expected].flat(3) as number[];
  expect(flatActual.length).toBe(flatExpected.length);
  flatActual.forEach((v, i) => expect(v).toBeCloseTo(flatExpected[i], 4));
}

describe('shared embedding with two linear heads', () => {
  const table = [
    [0.2, 0.1],
    [0.3, 0.4],
    [0.5, 0.6],
    [0.7, 0.8],
  ];
  function model() {
    const embedding = tf.variable(tf.tensor2d(table));
    const head1 = tf.variable(tf.tensor1d([0.5, 0.5]));
    const head2 = tf.variable(tf.tensor1d([0.2, 0.2]));
    const losses = () =>
      record(() => {
        const e = tf.gather(embedding, tf.tensor1d([3], 'int32')).reshape([2]);
        const l1 = tf.square(tf.sub(10, tf.dot(e, head1)));
        const l2 = tf.square(tf.sub(5, tf.dot(e, head2)));
        return { l1, l2 };
      });
    const dispose = () => {
      zeroGrad();
      tf.dispose([embedding, head1, head2]);
    };
    return { embedding, head1, head2, losses, dispose };
  }

  it('computes the losses 85.5625 and 22.09', () => {
    const m = model();
    const { l1, l2 } = m.losses();
    expectClose(l1, 85.5625);
    expectClose(l2, 22.09);
    tf.dispose([l1, l2]);
    m.dispose();
  });

  it('backward of l2 alone reaches head 2 and row 3 of the table only', () => {
    const m = model();
    const { l1, l2 } = m.losses();
    backward(l2);
    expectClose(gradOf(m.head2), [-6.58, -7.52]);
    expect(gradOf(m.head1)).toBeNull();
    expectClose(gradOf(m.embedding), [
      [0, 0],
      [0, 0],
      [0, 0],
      [-1.88, -1.88],
    ]);
    tf.dispose([l1, l2]);
    m.dispose();
  });

  it('backward of l1 + l2 gives the summed gradients', () => {
    const m = model();
    const total = record(() => {
      const { l1, l2 } = m.losses();
      return tf.add(l1, l2);
    });
    backward(total);
    expectClose(gradOf(m.head1), [-12.95, -14.8]);
    expectClose(gradOf(m.head2), [-6.58, -7.52]);
    expectClose(gradOf(m.embedding)!.slice([3, 0], [1, 2]), [[-11.13, -11.13]]);
    total.dispose();
    m.dispose();
  });

  it('backward of l1 then of l2 on the same retained graph accumulates to the same totals', () => {
    const m = model();
    const { l1, l2 } = m.losses();
    backward(l1, { retainGraph: true });
    backward(l2);
    expectClose(gradOf(m.head1), [-12.95, -14.8]);
    expectClose(gradOf(m.head2), [-6.58, -7.52]);
    expectClose(gradOf(m.embedding)!.slice([3, 0], [1, 2]), [[-11.13, -11.13]]);
    tf.dispose([l1, l2]);
    m.dispose();
  });
});

describe('retainGraph', () => {
  const aValues = [[1, -2, 3, 0.5]];

  it('a second backward through a freed graph throws GraphFreedError naming retainGraph', () => {
    const a = tf.variable(tf.tensor2d(aValues));
    const { d, e } = record(() => {
      const c = tf.mul(2, tf.square(a));
      return { d: tf.mean(c), e: tf.sum(c) };
    });
    backward(d);
    expect(() => backward(e)).toThrow(GraphFreedError);
    expect(() => backward(e)).toThrow(/retainGraph: true/);
    tf.dispose([d, e, a]);
    zeroGrad();
  });

  it('with retainGraph on the first, a.grad = 5a', () => {
    const a = tf.variable(tf.tensor2d(aValues));
    const { d, e } = record(() => {
      const c = tf.mul(2, tf.square(a));
      return { d: tf.mean(c), e: tf.sum(c) };
    });
    backward(d, { retainGraph: true });
    backward(e);
    // d = mean(2a²) → a; e = sum(2a²) → 4a; together 5a.
    expectClose(gradOf(a), [aValues[0].map((v) => 5 * v)]);
    tf.dispose([d, e, a]);
    zeroGrad();
  });

  it('the gradient of d with respect to the intermediate b = a² is 0.5 everywhere', () => {
    const a = tf.variable(tf.tensor2d(aValues));
    const { b, d } = record(() => {
      const b = tf.square(a);
      return { b, d: tf.mean(tf.mul(2, b)) };
    });
    const [dB] = grad(d, b);
    expectClose(dB, [[0.5, 0.5, 0.5, 0.5]]);
    tf.dispose([b, d, dB, a]);
  });
});

describe('a layer applied twice', () => {
  it('accumulates the gradient of both uses: 4(w²x − label)·w·x', () => {
    const wValue = 0.3;
    const x = 10;
    const label = 5;
    const w = tf.variable(tf.scalar(wValue));
    const loss = record(() => tf.square(tf.sub(tf.mul(w, tf.mul(w, x)), label)));
    backward(loss);
    expectClose(gradOf(w), 4 * (wValue * wValue * x - label) * wValue * x);
    tf.dispose([loss, w]);
    zeroGrad();
  });
});
