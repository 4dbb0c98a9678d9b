/** The verbose: 1 printer and the callback glue. */
import * as tf from '@tensorflow/tfjs';
import type { Terminal } from '../../lib/backend_terminal';
import { epochAverager, standardizeCallbacks } from '../../lib/training/callbacks';
import { formatLogs, formatNumber, progressLogger } from '../../lib/training/progress_logger';

describe('progress logger', () => {
  it('formats numbers as tfjs-node does: 2 significant decimals, exponent below 1e-4', () => {
    expect(formatNumber(12.3456)).toBe('12.35');
    expect(formatNumber(0.123456)).toBe('0.123');
    expect(formatNumber(0.0123456)).toBe('0.0123');
    expect(formatNumber(0.0000123)).toBe('1.23e-5');
    expect(formatNumber(0)).toBe('0.00');
    expect(formatNumber(NaN)).toBe('NaN');
  });

  it('lists the logged numbers sorted, without batch and size, cut to a length', () => {
    expect(formatLogs({ size: 8, loss: 2, batch: 1, a_loss: 0.5 })).toBe('a_loss=0.500 loss=2.00');
    expect(formatLogs({ loss: 2, a_loss: 0.5 }, 10)).toBe('a_loss=...');
  });

  it('draws a bar on a terminal during the epoch and prints the two lines', async () => {
    const lines: string[] = [];
    const statuses: string[] = [];
    const terminal: Terminal = {
      line: (t) => void lines.push(t),
      status: (t) => void statuses.push(t),
      columns: 80,
    };
    const logger = progressLogger(terminal)!;
    logger.setParams({ epochs: 3, samples: 20, batchSize: 10 });
    await logger.onTrainBegin({});
    await logger.onEpochBegin(1, {});
    await logger.onBatchEnd(0, { batch: 0, size: 10, loss: 1.5 });
    await logger.onBatchEnd(1, { batch: 1, size: 10, loss: 1.25 });
    await logger.onEpochEnd(1, { loss: 1.375 });
    expect(lines[0]).toBe('Epoch 2 / 3');
    expect(lines[1]).toMatch(/^\d+ms \d+us\/step - loss=1\.38$/);
    expect(statuses[0]).toMatch(/^eta=\S+ =*>-* loss=1\.50$/);
    expect(statuses[statuses.length - 1]).toMatch(/^eta=0\.0 =+>\n$/);
  });

  it('is absent without a terminal (a browser): nothing to print to', () => {
    expect(progressLogger(null)).toBeNull();
  });
});

describe('callback glue', () => {
  it('keeps callback objects and wraps argument objects (no instanceof)', () => {
    const early = tf.callbacks.earlyStopping();
    const list = standardizeCallbacks([early, { onEpochEnd: () => undefined }], 'never');
    expect(list[0]).toBe(early);
    expect(typeof list[1].onBatchEnd).toBe('function');
    expect(list[1]).not.toBe(early);
    expect(standardizeCallbacks(undefined, 'auto')).toEqual([]);
    expect(() => standardizeCallbacks([3 as unknown as tf.CustomCallbackArgs], 'auto')).toThrow(
      /args.callbacks/,
    );
  });

  it("averages the batches' logs into the epoch's, weighted by batch size", async () => {
    const averager = epochAverager();
    averager.setParams({ metrics: ['loss', 'cosine'] });
    await averager.onEpochBegin(0, {});
    await averager.onBatchEnd(0, { size: 3, loss: 1, cosine: 1, other: 5 });
    await averager.onBatchEnd(1, { size: 1, loss: 5, cosine: 0 });
    const logs: { [key: string]: number } = { val_loss: 2 };
    await averager.onEpochEnd(0, logs);
    expect(logs).toEqual({ val_loss: 2, loss: 2, cosine: 0.75 });
  });
});
