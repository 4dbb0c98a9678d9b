/**
 * UPGrad's training step against Mean's on the MultiMNIST demo's model, interleaved step for step
 * in one process on the same batches (two copies of the model, same seed), after 20 warm-up steps
 * each. Whole training runs (`npm run demo:multimnist`) also time the machine: whichever method
 * runs first runs on a slower machine here. This is the figure behind the README's "UPGrad's step
 * costs … Mean's".
 *
 * Run with `npx tsx demos/multimnist_steps.ts [steps]` (default 160).
 */
import * as tf from '@tensorflow/tfjs';
import { useFastestBackend } from '../lib';
import { ProgressBar } from './common/progress';
import { buildMultiMnist, disposeBatch, makeBatch } from './multimnist/data';
import { createMethod } from './multimnist/methods';
import { createModel, disposeModel, forward, modelVariables } from './multimnist/model';

const BATCH_SIZE = 64;
const BATCHES = 40;
const WARMUP = 20;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const steps = Number(process.argv[2] ?? 160);
  const backend = await useFastestBackend();
  const data = buildMultiMnist({ trainPairs: BATCH_SIZE * BATCHES, testPairs: 0, seed: 0 });
  const runs = ['upgrad', 'mean'].map((name) => {
    const model = createModel({ canvasSize: data.layout.canvasSize, seed: 0 });
    return {
      method: createMethod(name, 0),
      model,
      variables: modelVariables(model),
      optimizer: tf.train.adam(0.002),
      times: [] as number[],
    };
  });
  const bar = new ProgressBar(WARMUP + steps, `UPGrad and Mean steps on ${backend}`);
  for (let step = 0; step < WARMUP + steps; step++) {
    const start = (step % BATCHES) * BATCH_SIZE;
    const end = start + BATCH_SIZE;
    const batch = makeBatch(data.digits, data.train, data.layout.canvasSize, start, end);
    // Alternate which goes first, so that neither always follows the other's garbage.
    for (const run of step % 2 === 0 ? runs : [...runs].reverse()) {
      const started = performance.now();
      run.method.step(() => forward(run.model, batch), run.variables, run.optimizer);
      if (step >= WARMUP) run.times.push(performance.now() - started);
    }
    disposeBatch(batch);
    bar.tick();
  }
  bar.done();
  const [upgrad, mean] = runs.map((run) => median(run.times));
  console.log(
    `${backend}, ${steps} steps each: UPGrad ${upgrad.toFixed(1)} ms, Mean ${mean.toFixed(1)} ms ` +
      `(medians), UPGrad / Mean ${(upgrad / mean).toFixed(3)}`,
  );
  for (const run of runs) {
    run.method.dispose();
    run.optimizer.dispose();
    disposeModel(run.model);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
