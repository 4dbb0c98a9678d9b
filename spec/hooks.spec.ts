import * as tf from '@tensorflow/tfjs';
import * as jd from '../lib/index';
import { HookedModule } from '../lib/hooks';

class Doubler extends HookedModule<[number], number> {
  forward(x: number): number {
    return 2 * x;
  }
}

describe('HookedModule', () => {
  it('runs pre-hooks, forward and hooks in order, letting each replace its value', () => {
    const module = new Doubler();
    const calls: string[] = [];
    module.registerForwardPreHook((m, [x]) => {
      calls.push(`pre ${x}`);
      expect(m).toBe(module);
      return [x + 1];
    });
    module.registerForwardHook((_m, [x], out) => {
      calls.push(`post ${x} ${out}`);
      return out * 10;
    });
    expect(module.apply(3)).toBe(80);
    expect(calls).toEqual(['pre 3', 'post 4 8']);
  });

  it('stops calling a removed hook, and removing twice is harmless', () => {
    const module = new Doubler();
    let count = 0;
    const handle = module.registerForwardHook(() => void count++);
    module.apply(1);
    handle.remove();
    handle.remove();
    module.apply(1);
    expect(count).toBe(1);
    expect(module.toString()).toBe('Doubler');
  });
});

describe('HookedModule ownership of tensors', () => {
  const J = () =>
    tf.tensor2d([
      [-4, 1, 1],
      [6, 1, 1],
    ]);

  it('a throwing forward hook leaks nothing, over many calls', () => {
    const aggregator = new jd.Mean();
    aggregator.registerForwardHook(() => {
      throw new Error('hook failed');
    });
    const matrix = J();
    const before = tf.memory().numTensors;
    for (let k = 0; k < 20; k++) expect(() => aggregator.apply(matrix)).toThrow('hook failed');
    expect(tf.memory().numTensors).toBe(before);
    matrix.dispose();
  });

  it('a replacing hook: the original is disposed, the replacement returned and owned by the caller', () => {
    const aggregator = new jd.Mean();
    let seen: tf.Tensor | undefined;
    aggregator.registerForwardHook((_a, _args, output) => {
      seen = output;
      return tf.mul(output, 2) as tf.Tensor1D;
    });
    const matrix = J();
    const before = tf.memory().numTensors;
    for (let k = 0; k < 10; k++) {
      const out = aggregator.apply(matrix);
      expect(Array.from(out.dataSync())).toEqual([2, 2, 2]);
      expect(seen!.isDisposed).toBe(true);
      out.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    matrix.dispose();
  });

  it('a hook returning its output, or one of the arguments, disposes nothing it should not', () => {
    const aggregator = new jd.Mean();
    const keep = aggregator.registerForwardHook((_a, _args, output) => output);
    const matrix = J();
    const out = aggregator.apply(matrix);
    expect(out.isDisposed).toBe(false);
    out.dispose();
    keep.remove();
    const weighting = new jd.MeanWeighting();
    const weights = tf.tensor1d([0.5, 0.5]);
    weighting.registerForwardHook(() => weights);
    const before = tf.memory().numTensors;
    const result = weighting.apply(matrix);
    expect(result).toBe(weights);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([matrix, weights]);
  });

  it('a wrong-shaped replacement is an InvalidArgumentError naming the hook, leaking nothing', () => {
    const aggregator = new jd.UPGrad();
    aggregator.registerForwardHook(function halve() {
      return tf.zeros([2]) as tf.Tensor1D;
    });
    aggregator.gramianWeighting.registerForwardHook(() => 'weights' as never);
    const matrix = J();
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      aggregator.apply(matrix);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(jd.InvalidArgumentError);
    // The weighting's hook runs first (inside forward) and is named by its position.
    expect((error as jd.InvalidArgumentError).argument).toBe('forward hook #0');
    expect((error as Error).message).toMatch(/UPGradWeighting returned a string/);
    expect(tf.memory().numTensors).toBe(before);
    const other = new jd.UPGrad();
    other.registerForwardHook(function halve() {
      return tf.zeros([2]) as tf.Tensor1D;
    });
    expect(() => other.apply(matrix)).toThrow(/`forward hook halve`.*shape \[2\].*shape \[3\]/);
    expect(tf.memory().numTensors).toBe(before);
    matrix.dispose();
  });

  it('tensors a pre-hook substitutes are disposed after the call', () => {
    const aggregator = new jd.Mean();
    let substituted: tf.Tensor | undefined;
    aggregator.registerForwardPreHook((_a, [m]) => {
      substituted = tf.mul(m, 2) as tf.Tensor2D;
      return [substituted as tf.Tensor2D];
    });
    const matrix = J();
    const before = tf.memory().numTensors;
    const out = aggregator.apply(matrix);
    expect(Array.from(out.dataSync())).toEqual([2, 2, 2]);
    expect(substituted!.isDisposed).toBe(true);
    expect(matrix.isDisposed).toBe(false);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    matrix.dispose();
  });

  it('through mtlGrads, a wrong-shaped hook output names the hook and leaks nothing', () => {
    const W = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
    );
    const h = tf.variable(tf.tensor1d([1, -1]));
    const x = tf.tensor2d([[1, 1]]);
    const aggregator = new jd.UPGrad();
    aggregator.registerForwardHook(function wrong() {
      return tf.zeros([3]) as tf.Tensor1D;
    });
    const fn = () => {
      const features = tf.matMul(x, W);
      return { features, losses: [tf.sum(tf.mul(features, h)), tf.sum(features)] };
    };
    const before = tf.memory().numTensors;
    for (let k = 0; k < 5; k++) {
      expect(() => jd.mtlGrads(fn, { aggregator })).toThrow(/`forward hook wrong`/);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([W, h, x]);
  });
});

describe('HookedModule pre-hook substitutions', () => {
  it('a single returned value stands for a one-element array, and is validated like the caller’s', () => {
    const weighting = new jd.MGDAWeighting();
    const G = tf.tensor2d([
      [2, -1],
      [-1, 3],
    ]);
    const handle = weighting.registerForwardPreHook(
      () =>
        tf.tensor2d([
          [NaN, 0],
          [0, 1],
        ]) as never,
    );
    const before = tf.memory().numTensors;
    expect(() => weighting.apply(G)).toThrow(/`gramian`: expected finite values/);
    expect(tf.memory().numTensors).toBe(before);
    handle.remove();
    weighting.registerForwardPreHook(() => tf.mul(G, 2) as tf.Tensor2D as never);
    const w = weighting.apply(G);
    expect(w.shape).toEqual([2]);
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
    G.dispose();
  });
});
