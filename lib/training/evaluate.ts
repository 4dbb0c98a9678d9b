/**
 * The validation logs of an epoch: the compiled losses and metrics of the model in inference mode,
 * averaged over the examples, under the keys fit uses (`val_loss`, `val_out1_loss`, `val_acc`…).
 * tfjs 4.22's own `evaluate` of a multi-output model shifts these values by one key (it logs running
 * sums of the losses); they are computed here directly instead.
 */
import * as tf from '@tensorflow/tfjs';
import type { CompiledModel } from './compiled_model';
import { makeBatches } from './data';

/** Accumulates per-batch values, weighted by batch size. */
export class ValidationAccumulator {
  private totals: number[] | undefined;
  private count = 0;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly compiled: CompiledModel,
    private readonly lossWeights: number[] | undefined,
  ) {}

  /** Adds one batch (the tensors stay the caller's). */
  add(xs: tf.Tensor[], ys: tf.Tensor[]): void {
    const { compiled } = this;
    const values = tf.tidy(() => {
      const out = this.model.apply(xs, { training: false });
      const outputs = (Array.isArray(out) ? out : [out]) as tf.Tensor[];
      const losses = outputs.map((o, i) => tf.mean(compiled.lossFunctions[i](ys[i], o)));
      const metrics = compiled.metrics.map((m) => tf.mean(m.fn(ys[m.output], outputs[m.output])));
      return tf.concat([...losses, ...metrics].map((t) => t.reshape([1])));
    });
    const numbers = values.dataSync();
    values.dispose();
    const size = xs[0].shape[0];
    this.totals ??= new Array<number>(numbers.length).fill(0);
    numbers.forEach((v, i) => (this.totals![i] += v * size));
    this.count += size;
  }

  /** The averaged logs, `val_`-prefixed. */
  logs(): { [key: string]: number } {
    const { compiled } = this;
    if (this.totals === undefined || this.count === 0) return {};
    const means = this.totals.map((t) => t / this.count);
    const outputs = compiled.outputNames.length;
    const logs: { [key: string]: number } = {
      val_loss: means
        .slice(0, outputs)
        .reduce((s, l, i) => s + l * (this.lossWeights?.[i] ?? 1), 0),
    };
    compiled.outputLossKeys.forEach((key, i) => (logs[`val_${key}`] = means[i]));
    compiled.metrics.forEach((m, i) => (logs[`val_${m.key}`] = means[outputs + i]));
    return logs;
  }
}

/** Validation logs of tensors, `batchSize` examples at a time. */
export function evaluateTensors(
  model: tf.LayersModel,
  compiled: CompiledModel,
  lossWeights: number[] | undefined,
  xs: tf.Tensor[],
  ys: tf.Tensor[],
  batchSize: number,
): { [key: string]: number } {
  const accumulator = new ValidationAccumulator(model, compiled, lossWeights);
  for (const [start, end] of makeBatches(xs[0].shape[0], batchSize)) {
    const slice = (t: tf.Tensor) => t.slice(start, end - start);
    const bx = xs.map(slice);
    const by = ys.map(slice);
    try {
      accumulator.add(bx, by);
    } finally {
      tf.dispose([bx, by]);
    }
  }
  return accumulator.logs();
}
