/**
 * The part of the autograd API that autojac and autogram build on: leaves, the store, and read
 * access to recorded nodes. Expected values are derived by hand in the comments.
 */
import * as tf from '@tensorflow/tfjs';
import {
  accumulateGrad,
  accumulateJac,
  backward,
  clearJac,
  dependsOn,
  disposeGraph,
  grad,
  gradOf,
  gradsMap,
  GraphFreedError,
  isRecorded,
  jacOf,
  leafVariables,
  record,
  recordedNodes,
  zeroGrad,
} from '../../lib/autograd';
import { InvalidArgumentError } from '../../lib/errors';

describe('leafVariables', () => {
  it('lists trainable variables in order of first use, skipping excluded paths and frozen ones', () => {
    const trunk = tf.variable(tf.scalar(2));
    const head = tf.variable(tf.scalar(3));
    const frozen = tf.variable(tf.scalar(5), false);
    const unused = tf.variable(tf.scalar(7));
    const { features, loss } = record(() => {
      const features = tf.mul(trunk, frozen);
      return { features, loss: tf.mul(tf.square(features), head) };
    });
    expect(leafVariables([loss])).toEqual([trunk, head]);
    expect(leafVariables([loss], { excluded: [features] })).toEqual([head]);
    expect(leafVariables([features])).toEqual([trunk]);
    expect(leafVariables([loss]).includes(unused)).toBe(false);
    tf.dispose([features, loss, trunk, head, frozen, unused]);
  });
});

describe('dependsOn', () => {
  it('follows recorded operations only, and still answers once the graph is freed', () => {
    const a = tf.variable(tf.scalar(2));
    const b = tf.variable(tf.scalar(3));
    const { y, z } = record(() => ({ y: tf.square(a), z: tf.exp(b) }));
    expect(dependsOn(y, [a])).toBe(true);
    expect(dependsOn(y, [b])).toBe(false);
    backward(y); // frees y's nodes
    expect(dependsOn(y, [a])).toBe(true);
    expect(dependsOn(z, [z])).toBe(true);
    tf.dispose([a, b, y, z]);
    zeroGrad();
  });
});

describe('isRecorded', () => {
  it('is true for recorded outputs and the variables they read, false otherwise', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const never = tf.variable(tf.tensor1d([1, 2]));
    const y = record(() => tf.sum(w));
    const plain = tf.sum(w);
    expect(isRecorded(y)).toBe(true);
    expect(isRecorded(w)).toBe(true);
    expect(isRecorded(plain)).toBe(false);
    expect(isRecorded(never)).toBe(false);
    tf.dispose([w, never, y, plain]);
  });
});

describe('the .grad / .jac store', () => {
  afterEach(() => zeroGrad());

  it('keeps its own copies, adds them up, and leaves the caller’s tensor alone', () => {
    const v = tf.variable(tf.tensor1d([0, 0]));
    const value = tf.tensor1d([1, 2]);
    accumulateGrad(v, value);
    accumulateGrad(v, value);
    value.dispose();
    expect(Array.from(gradOf(v)!.dataSync())).toEqual([2, 4]);
    expect(gradOf(v)).not.toBe(value);
    v.dispose();
  });

  it('accumulates .jac apart from .grad; clearJac removes only .jac; zeroGrad both', () => {
    const v = tf.variable(tf.tensor1d([0, 0]));
    accumulateGrad(v, tf.tensor1d([1, 1]));
    accumulateJac(v, tf.tensor2d([[1, 2]]));
    accumulateJac(v, tf.tensor2d([[3, 4]]));
    expect(jacOf(v)!.arraySync()).toEqual([[4, 6]]);
    clearJac([v]);
    expect(jacOf(v)).toBeNull();
    expect(Array.from(gradOf(v)!.dataSync())).toEqual([1, 1]);
    accumulateJac(v, tf.tensor2d([[1, 1]]));
    zeroGrad([v]);
    expect(gradOf(v)).toBeNull();
    expect(jacOf(v)).toBeNull();
    v.dispose();
  });

  it('refuses to add a value of another shape, naming the shapes', () => {
    const v = tf.variable(tf.tensor1d([0, 0]));
    accumulateGrad(v, tf.tensor1d([1, 1]));
    expect(() => accumulateGrad(v, tf.tensor1d([1, 1, 1]))).toThrow(InvalidArgumentError);
    expect(() => accumulateGrad(v, tf.tensor1d([1, 1, 1]))).toThrow(/\[3\].*\[2\]/);
    v.dispose();
  });

  it('gradsMap names each variable’s own .grad (not a copy), only for the variables asked', () => {
    const a = tf.variable(tf.scalar(1));
    const b = tf.variable(tf.scalar(1));
    accumulateGrad(a, tf.scalar(3));
    accumulateGrad(b, tf.scalar(4));
    const onlyA = gradsMap([a]);
    expect(Object.keys(onlyA)).toEqual([a.name]);
    expect(onlyA[a.name]).toBe(gradOf(a));
    expect(Object.keys(gradsMap()).sort()).toEqual([a.name, b.name].sort());
    tf.dispose([a, b]);
  });

  it('does not crash on a variable disposed while it holds a gradient', () => {
    const v = tf.variable(tf.scalar(1));
    accumulateGrad(v, tf.scalar(2));
    v.dispose();
    expect(gradOf(v)!.dataSync()[0]).toBe(2);
    expect(() => zeroGrad()).not.toThrow();
    expect(gradOf(v)).toBeNull();
  });
});

describe('recordedNodes', () => {
  it('lists the nodes on the path in run order, with their kernel attributes', () => {
    const w = tf.variable(tf.tensor2d([[1], [2]]));
    const x = tf.tensor2d([[3, 4]]);
    const { unrelated, loss } = record(() => ({
      unrelated: tf.exp(x),
      loss: tf.sum(tf.matMul(x, w, false, false)),
    }));
    const nodes = recordedNodes([loss]);
    expect(nodes.map((n) => n.kernelName)).toEqual(['BatchMatMul', 'Sum']);
    expect(nodes[0].attrs).toMatchObject({ transposeA: false, transposeB: false });
    expect(nodes[0].inputs.b).toBe(w);
    expect(nodes[0].id).toBeLessThan(nodes[1].id);

    // The matmul node's gradient with dy = 1 gives dloss/dw = xᵀ = [[3], [4]].
    const dw = tf.tidy(() => nodes[0].gradient([tf.ones([1, 1])]).b());
    expect(dw.arraySync()).toEqual([[3], [4]]);
    dw.dispose();

    disposeGraph({ unrelated, loss });
    expect(() => nodes[0].gradient([tf.ones([1, 1])])).toThrow(GraphFreedError);
    expect(() => recordedNodes([loss])).toThrow(GraphFreedError);
    tf.dispose([w, x, unrelated, loss]);
  });

  it('starts from given intermediate inputs', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const { h, loss } = record(() => {
      const h = tf.tanh(w);
      return { h, loss: tf.sum(tf.square(h)) };
    });
    expect(recordedNodes([loss], [h]).map((n) => n.kernelName)).toEqual(['Square', 'Sum']);
    tf.dispose([w, h, loss]);
  });
});

describe('memory of every entry point', () => {
  it('stays flat over many calls of each', () => {
    const w = tf.variable(tf.tensor2d([[1, 2]]));
    const x = tf.tensor2d([[0.5], [-1]]);
    const step = () => {
      const out = record(() => ({ y: tf.matMul(w, x), loss: tf.sum(tf.sigmoid(w)) }));
      const nodes = recordedNodes([out.loss]);
      // The caller owns what it creates: the seed, the node's input gradient, the Jacobian row.
      const seed = tf.ones([1, 1]);
      const dX = tf.tidy(() => nodes[0].gradient([tf.onesLike(out.loss)]).x());
      const [dW] = grad(out.loss, w, { retainGraph: true });
      backward(out.y, { gradient: seed, retainGraph: true });
      backward(out.loss, { inputs: [w] });
      const jacobianRow = tf.expandDims(dW, 0);
      accumulateJac(w, jacobianRow);
      tf.dispose([seed, dX, jacobianRow]);
      leafVariables([out.loss]);
      dependsOn(out.loss, [w]);
      isRecorded(out.loss);
      gradsMap();
      clearJac([w]);
      zeroGrad();
      disposeGraph(out);
      tf.dispose([out.y, out.loss, dW]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, x]);
  });

  it('frees a graph never differentiated once disposeGraph is called', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const out = record(() => [tf.sum(tf.exp(w)), tf.mul(w, 3)]);
      disposeGraph(out);
      tf.dispose(out);
    }
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });
});
