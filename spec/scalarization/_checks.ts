/**
 * Checks shared by the scalarizer specs: values and gradients read back as float64 numbers,
 * central finite differences of float64 reference formulas written in the specs, memory and hooks.
 */
import * as tf from '@tensorflow/tfjs';
import type { Scalarizer } from '../../lib/scalarization/scalarizer_base';

/** `scalarizer(losses)` and its gradient with respect to the losses, as float64 numbers. */
export function valueAndGrad(
  scalarizer: Scalarizer,
  losses: number[],
  shape: number[] = [losses.length],
): { value: number; grad: number[] } {
  return tf.tidy(() => {
    const x = tf.tensor(losses, shape);
    const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => scalarizer.apply(t))(x);
    return { value: value.dataSync()[0], grad: Array.from(grad.dataSync()) };
  });
}

/** `scalarizer(losses)` as a float64 number, with no tensor left behind. */
export function scalarize(
  scalarizer: Scalarizer,
  losses: number[] | tf.Tensor,
  shape?: number[],
): number {
  return tf.tidy(() => {
    const x = losses instanceof tf.Tensor ? losses : tf.tensor(losses, shape ?? [losses.length]);
    return scalarizer.apply(x).dataSync()[0];
  });
}

/** The gradient of a float64 function by central differences (error O(h²)). */
export function centralDifferences(f: (x: number[]) => number, x: number[], h = 1e-5): number[] {
  return x.map((_, i) => {
    const plus = [...x];
    const minus = [...x];
    plus[i] += h;
    minus[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

/** Entry-wise `|actual − expected| ≤ atol + rtol |expected|`, with a message naming the entry. */
export function expectAllClose(actual: number[], expected: number[], atol = 1e-5, rtol = 1e-4) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => {
    const allowed = atol + rtol * Math.abs(expected[i]);
    if (!(Math.abs(a - expected[i]) <= allowed)) {
      throw new Error(`entry ${i}: got ${a}, expected ${expected[i]} (± ${allowed})`);
    }
  });
}

/**
 * The scalarizer's value and gradient (float32 tfjs) match a float64 reference formula `f` and
 * its central finite differences.
 */
export function expectMatchesReference(
  scalarizer: Scalarizer,
  f: (x: number[]) => number,
  losses: number[],
  shape: number[] = [losses.length],
  tolerance = 1e-4,
): void {
  const { value, grad } = valueAndGrad(scalarizer, losses, shape);
  expectAllClose([value], [f(losses)], tolerance, tolerance);
  expectAllClose(grad, centralDifferences(f, losses), tolerance, tolerance);
}

/** Running `step` many times leaves `tf.memory().numTensors` where it was after a warm-up run. */
export function expectMemoryFlat(step: () => void, times = 50): void {
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < times; i++) step();
  expect(tf.memory().numTensors).toBe(before);
}

/**
 * Pre-hooks and hooks run in order with the module and its arguments, can replace the arguments
 * and the output, and stop after `remove()`.
 */
export function expectHooksWork(scalarizer: Scalarizer, losses: number[]): void {
  const calls: string[] = [];
  const input = tf.tensor1d(losses);
  const pre = scalarizer.registerForwardPreHook((module, [x]) => {
    expect(module).toBe(scalarizer);
    expect(x).toBe(input);
    calls.push('pre');
  });
  const post = scalarizer.registerForwardHook((module, [x], out) => {
    expect(module).toBe(scalarizer);
    expect(x).toBe(input);
    expect(out.rank).toBe(0);
    calls.push('post');
  });
  tf.tidy(() => scalarizer.apply(input));
  expect(calls).toEqual(['pre', 'post']);
  pre.remove();
  post.remove();
  tf.tidy(() => scalarizer.apply(input));
  expect(calls).toHaveLength(2);
  expect(scalarizer.hasHooks()).toBe(false);
  // A forward hook may replace the output.
  const replace = scalarizer.registerForwardHook(() => tf.scalar(42));
  expect(scalarize(scalarizer, input)).toBe(42);
  replace.remove();
  input.dispose();
}
