/**
 * Batching rules of the kernels whose gradient routes `dy` by a comparison of the forward values
 * (`Maximum`, `Minimum`, `Prelu`, `Select`, `Min`) or scales it by them (`Pow`): the factor is
 * computed once from the saved inputs and every row is multiplied by it.
 */
import * as tf from '@tensorflow/tfjs';
import {
  axesOf,
  only,
  savedInput,
  savedOutput,
  unbroadcast,
  unbroadcastNames,
  unreduce,
  type BatchingRule,
} from './common';

/**
 * Maximum and Minimum: `a` takes `dy` where it was selected (ties go to `a`), `b` where it was
 * (comparisons as tfjs's, so that a NaN sends nothing to either).
 * tfjs's own gradient does not sum over broadcast axes, so for an operand that was broadcast the
 * caller's fallback runs (and fails as a single pass does).
 */
function extremum(
  aWins: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  bWins: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
): BatchingRule {
  return (node, dys, names) => {
    const dy = only(node, dys);
    const a = savedInput(node, 'a');
    const b = savedInput(node, 'b');
    if (dy === undefined || a === undefined || b === undefined || !unbroadcastNames(node, names)) {
      return undefined;
    }
    const out: Record<string, tf.Tensor> = {};
    if (names.includes('a')) out.a = tf.mul(dy, tf.cast(aWins(a, b), 'float32'));
    if (names.includes('b')) out.b = tf.mul(dy, tf.cast(bWins(a, b), 'float32'));
    return out;
  };
}

/** Prelu: `dy` where x > 0, else `dy · alpha`; alpha's gradient sums `dy · x` where x ≤ 0. */
const prelu: BatchingRule = (node, dys, names) => {
  const dy = only(node, dys);
  const x = savedInput(node, 'x');
  const alpha = savedInput(node, 'alpha');
  if (dy === undefined || x === undefined || alpha === undefined) return undefined;
  if (!tf.util.arraysEqual(x.shape, node.outputs[0].shape)) return undefined;
  const positive = tf.greater(x, 0);
  const out: Record<string, tf.Tensor> = {};
  if (names.includes('x')) {
    // alpha spread by a product with ones (exact), not broadcastTo (a Tile, slow on wasm).
    const ones = tf.onesLike(x);
    out.x = tf.mul(dy, tf.where(positive, ones, tf.mul(ones, alpha)));
  }
  if (names.includes('alpha')) {
    out.alpha = unbroadcast(tf.mul(dy, tf.where(positive, tf.zerosLike(x), x)), alpha.shape);
  }
  return out;
};

/** Pow with broadcasting, as tfjs's gradient (log of a non-positive base taken as 0). */
const pow: BatchingRule = (node, dys, names) => {
  const dy = only(node, dys);
  const a = savedInput(node, 'a');
  const b = savedInput(node, 'b');
  const y = savedOutput(node);
  if (dy === undefined || a === undefined || b === undefined || y === undefined) return undefined;
  if (a.dtype !== 'float32') return undefined;
  const exponent = tf.cast(b, 'float32');
  const out: Record<string, tf.Tensor> = {};
  if (names.includes('a')) {
    const factor = tf.mul(exponent, tf.pow(a, tf.sub(exponent, tf.scalar(1))));
    out.a = unbroadcast(tf.mul(dy, factor), a.shape);
  }
  if (names.includes('b')) {
    const logBase = tf.where(tf.greater(a, 0), tf.log(a), tf.zerosLike(a));
    out.b = unbroadcast(tf.mul(dy, tf.mul(y, logBase)), b.shape);
  }
  return out;
};

/** Select (`tf.where`): `t` takes `dy` where the condition holds, `e` elsewhere. */
const select: BatchingRule = (node, dys, names, k) => {
  const dy = only(node, dys);
  const condition = savedInput(node, 'condition');
  const values = names.filter((name) => name !== 'condition');
  if (dy === undefined || condition === undefined || !unbroadcastNames(node, values)) {
    return undefined;
  }
  const out: Record<string, tf.Tensor> = {};
  // The condition's gradient is zero, as tfjs's.
  if (names.includes('condition')) out.condition = tf.zeros([k, ...condition.shape]);
  if (names.includes('t')) out.t = tf.mul(dy, tf.cast(condition, 'float32'));
  if (names.includes('e')) out.e = tf.mul(dy, tf.cast(tf.logicalNot(condition), 'float32'));
  return out;
};

/** Min: `dy` to every element equal to the minimum (as tfjs, ties share it in full). */
const min: BatchingRule = (node, dys) => {
  const dy = only(node, dys);
  const x = savedInput(node, 'x');
  const y = savedOutput(node);
  if (dy === undefined || x === undefined || y === undefined) return undefined;
  const axes = axesOf(node.attrs?.axis, x.rank);
  const kept = x.shape.map((size, j) => (axes.includes(j) ? 1 : size));
  const mask = tf.cast(tf.equal(tf.reshape(y, kept), x), 'float32');
  return { x: tf.mul(unreduce(dy, x.shape, axes), mask) };
};

/** Atan2, Mod and FloorDiv with broadcasting, as tfjs's gradients. */
const atan2: BatchingRule = (node, dys, names) => {
  const dy = only(node, dys);
  const a = savedInput(node, 'a');
  const b = savedInput(node, 'b');
  if (dy === undefined || a === undefined || b === undefined) return undefined;
  const d = tf.add(tf.square(a), tf.square(b));
  const out: Record<string, tf.Tensor> = {};
  if (names.includes('a')) out.a = unbroadcast(tf.mul(dy, tf.div(b, d)), a.shape);
  if (names.includes('b')) out.b = unbroadcast(tf.neg(tf.mul(dy, tf.div(a, d))), b.shape);
  return out;
};

const mod: BatchingRule = (node, dys, names) => {
  const dy = only(node, dys);
  const a = savedInput(node, 'a');
  const b = savedInput(node, 'b');
  if (dy === undefined || a === undefined || b === undefined) return undefined;
  const out: Record<string, tf.Tensor> = {};
  if (names.includes('a')) out.a = unbroadcast(dy, a.shape);
  if (names.includes('b')) {
    out.b = unbroadcast(tf.mul(dy, tf.neg(tf.floor(tf.div(a, b)))), b.shape);
  }
  return out;
};

const floorDiv: BatchingRule = (node, dys, names) => {
  const dy = only(node, dys);
  const a = savedInput(node, 'a');
  const b = savedInput(node, 'b');
  if (dy === undefined || a === undefined || b === undefined) return undefined;
  const out: Record<string, tf.Tensor> = {};
  if (names.includes('a')) out.a = unbroadcast(tf.div(dy, tf.cast(b, 'float32')), a.shape);
  if (names.includes('b')) {
    // tfjs sums before dividing by b² (of b's shape).
    const summed = unbroadcast(tf.mul(dy, tf.cast(a, 'float32')), b.shape);
    out.b = tf.neg(tf.div(summed, tf.cast(tf.square(b), 'float32')));
  }
  return out;
};

/**
 * Prod: tfjs's gradient is `dy` (reduced axes put back) times a factor of x alone (the products
 * of the other elements), so its gradient of ones gives that factor once.
 */
const prod: BatchingRule = (node, dys) => {
  const dy = only(node, dys);
  const x = node.inputs.x;
  if (dy === undefined || node.gradient === undefined || x.dtype !== 'float32') return undefined;
  const thunk = node.gradient([tf.ones(node.outputs[0].shape)]).x;
  if (typeof thunk !== 'function') return undefined;
  const axes = axesOf(node.attrs?.axis, x.rank);
  return { x: tf.mul(unreduce(dy, x.shape, axes), thunk()) };
};

export const SELECTION_RULES: Record<string, BatchingRule> = {
  Maximum: extremum(tf.greaterEqual, tf.less),
  Minimum: extremum(tf.lessEqual, tf.greater),
  Prelu: prelu,
  Pow: pow,
  Select: select,
  Min: min,
  Atan2: atan2,
  Mod: mod,
  FloorDiv: floorDiv,
  Prod: prod,
};
