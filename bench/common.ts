import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

/**
 * The folder of the bench's sources (results.json, the TorchJD script): `npm run bench` runs a
 * compiled copy elsewhere (see tools/bench.mjs) and says where they are.
 */
export const BENCH_SOURCES = process.env.TFJS_JD_BENCH_SOURCES ?? path.resolve(__dirname);

/** One line of the benchmark table. */
export interface BenchRow {
  /** What was measured, e.g. `'mtlGrads+UPGrad / variableGrads, m=2'`. */
  figure: string;
  value: number;
  unit: 'ms' | 'ratio' | 'bytes' | 'MB';
  /** The target, when it sets one, and whether it is an upper bound. */
  target?: { max: number };
}

/**
 * Repetitions of a full run: a training loop takes thousands of steps, so each figure is taken
 * once V8 has compiled the JavaScript paths it runs (the QP solver's first calls, before that,
 * take several times as long) and the tfjs kernels have their buffers.
 */
export const STEADY = { warmup: 20, iters: 40 };

/** Options every bench module receives from `bench/run.ts`. */
export interface BenchOptions {
  /** `--quick`: fewer repetitions, for a smoke run. */
  quick: boolean;
  backend: string;
}

/**
 * Median wall time of `fn` in milliseconds over `iters` runs after `warmup` runs. `fn` must
 * finish its work (download a value or dispose what it made) so the timing is real; tensors it
 * leaves are disposed by the surrounding scope.
 */
export function timeMs(fn: () => unknown, { warmup = 3, iters = 10 } = {}): number {
  for (let i = 0; i < warmup; i++) tf.tidy(() => void fn());
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const start = performance.now();
    tf.tidy(() => void fn());
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Times several step functions interleaved (a, b, c, a, b, c, …) so that machine noise hits each
 * alike, and returns each one's median in milliseconds. Use this for ratios.
 */
export function timeInterleaved(
  fns: Record<string, () => unknown>,
  { warmup = 3, iters = 10 } = {},
): Record<string, number> {
  const names = Object.keys(fns);
  for (let i = 0; i < warmup; i++) for (const name of names) tf.tidy(() => void fns[name]());
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < iters; i++) {
    for (const name of names) {
      const start = performance.now();
      tf.tidy(() => void fns[name]());
      times[name].push(performance.now() - start);
    }
  }
  return Object.fromEntries(
    names.map((n) => {
      const sorted = times[n].sort((a, b) => a - b);
      return [n, sorted[Math.floor(sorted.length / 2)]];
    }),
  );
}
