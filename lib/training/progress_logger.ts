/**
 * What `model.fit({ verbose: 1 })` prints in Node (tfjs-node's logger), for `jdFit`: `Epoch 1 / 5`,
 * a progress bar with the batch's losses during the epoch (on a terminal only), then
 * `1234ms 617us/step - loss=0.52 out1_loss=0.31 …`, keys sorted, `batch` and `size` left out.
 */
import * as tf from '@tensorflow/tfjs';
import { nodeTerminal, type Terminal } from '../backend_terminal';
import type { CallbackObject } from './callbacks';

const BASE_DIGITS = 2;
const MAX_DECIMALS = 4;
const RENDER_EVERY_MS = 50;

/** A short number: 2 significant decimals, engineering notation below 1e-4 (as tfjs-node). */
export function formatNumber(x: number): string {
  const decimals =
    !Number.isFinite(x) || x === 0 || Math.abs(x) > 1
      ? BASE_DIGITS
      : BASE_DIGITS - Math.floor(Math.log10(Math.abs(x)));
  return decimals > MAX_DECIMALS ? x.toExponential(BASE_DIGITS) : x.toFixed(decimals);
}

/** `key=value` for every logged number but `batch` and `size`, keys sorted. */
export function formatLogs(
  logs: { [key: string]: unknown } | undefined,
  maxLength?: number,
): string {
  const text = Object.keys(logs ?? {})
    .sort()
    .filter((key) => key !== 'batch' && key !== 'size' && typeof logs![key] === 'number')
    .map((key) => `${key}=${formatNumber(logs![key] as number)}`)
    .join(' ');
  return maxLength !== undefined && text.length > maxLength
    ? `${text.slice(0, Math.max(0, maxLength - 3))}...`
    : text;
}

/** The progress callback, or null where there is no terminal (a browser). */
export function progressLogger(terminal: Terminal | null = nodeTerminal()): CallbackObject | null {
  if (terminal === null) return null;
  let batchesPerEpoch = 0;
  let epochStart = 0;
  let batchesDone = 0;
  let duration: number | null = null;
  let lastRender = 0;
  const bar = (done: number, info: string): string => {
    const width = Math.max(10, Math.floor(terminal.columns * 0.5));
    const total = Math.max(batchesPerEpoch, done, 1);
    const filled = Math.min(width, Math.round((done / total) * width));
    const elapsed = (tf.util.now() - epochStart) / 1000;
    const eta = done > 0 && batchesPerEpoch > 0 ? (elapsed / done) * (total - done) : 0;
    const body = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '');
    const info80 = info.length > 0 ? ` ${info}` : '';
    return `eta=${eta.toFixed(1)} ${body.padEnd(width, '-')}${info80}`;
  };
  const callback: tf.CustomCallback = new tf.CustomCallback(
    {
      onTrainBegin: () => {
        const params = callback.params ?? {};
        const samples = typeof params.samples === 'number' ? params.samples : undefined;
        const batchSize = typeof params.batchSize === 'number' ? params.batchSize : undefined;
        const steps = typeof params.steps === 'number' ? params.steps : undefined;
        batchesPerEpoch =
          samples !== undefined && batchSize !== undefined
            ? Math.ceil(samples / batchSize)
            : (steps ?? 0);
      },
      onEpochBegin: (epoch) => {
        terminal.line(`Epoch ${epoch + 1} / ${String(callback.params?.epochs)}`);
        epochStart = tf.util.now();
        batchesDone = 0;
        duration = null;
        lastRender = 0;
      },
      onBatchEnd: (batch, logs) => {
        batchesDone++;
        const now = tf.util.now();
        if (terminal.status !== undefined && now - lastRender >= RENDER_EVERY_MS) {
          lastRender = now;
          const room = Math.floor(terminal.columns * 0.5 - 12);
          terminal.status(bar(batchesDone, formatLogs(logs, room)));
        }
        if (batch === batchesPerEpoch - 1) duration = now - epochStart;
      },
      onEpochEnd: (_epoch, logs) => {
        // Without a known number of batches, the time includes validation (as in tfjs-node).
        const millis = duration ?? tf.util.now() - epochStart;
        const samples = callback.params?.samples;
        const perStep =
          typeof samples === 'number' && samples > 0
            ? (millis / samples) * 1e3
            : (millis / Math.max(batchesDone, 1)) * 1e3;
        terminal.status?.(`${bar(batchesDone, '')}\n`);
        terminal.line(`${millis.toFixed(0)}ms ${perStep.toFixed(0)}us/step - ${formatLogs(logs)}`);
      },
    },
    'never',
  );
  return callback;
}
