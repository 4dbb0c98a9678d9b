/**
 * Everything `jdFit` and `jdFitDataset` set up before the loop, from the model and the Jacobian
 * descent options: the compiled configuration, the training step (Jacobian descent on a
 * multi-output model, instance-wise risk minimization on a single-output one), the keys it logs,
 * and the checks that name the bad argument.
 */
import type * as tf from '@tensorflow/tfjs';
import { Aggregator } from '../aggregation/aggregator_bases';
import { UPGrad } from '../aggregation/upgrad';
import { Weighting } from '../aggregation/weighting_bases';
import { InvalidArgumentError } from '../errors';
import { readCompiledModel, type CompiledModel } from './compiled_model';
import { makeIwrmStep } from './iwrm_step';
import { COSINE_KEY, makeJdStep, weightKey, type TrainStep } from './jd_step';
import type { JdOptions } from './options';
import { findSharedPart } from './shared_part';
import { monitorAggregator } from './step_monitor';

/** The prepared training of one fit call. */
export interface Trainer {
  compiled: CompiledModel;
  step: TrainStep;
  lossWeights: number[] | undefined;
  /** The keys averaged into the epoch logs: fit's, then the weights and the cosine. */
  trainKeys: string[];
  /** Removes the hooks the step installed on the aggregator. */
  release(): void;
}

const training = new WeakSet<tf.LayersModel>();

/** Marks `model` as training for the duration of `run` (fit refuses a second concurrent fit). */
export async function whileTraining<T>(model: tf.LayersModel, run: () => Promise<T>): Promise<T> {
  if (training.has(model)) {
    throw new InvalidArgumentError('model', 'is already being trained by another jdFit call.');
  }
  training.add(model);
  try {
    return await run();
  } finally {
    training.delete(model);
  }
}

function resolveLossWeights(
  given: JdOptions['lossWeights'],
  outputNames: string[],
): number[] | undefined {
  if (given === undefined) return undefined;
  const values = Array.isArray(given)
    ? given
    : outputNames.map((name) => (given !== null && typeof given === 'object' ? given[name] : NaN));
  if (
    values.length !== outputNames.length ||
    values.some((v) => typeof v !== 'number' || !Number.isFinite(v))
  ) {
    throw new InvalidArgumentError(
      'args.lossWeights',
      `expected one finite number per output (${outputNames.join(', ')}), as an array or a map by name.`,
    );
  }
  return values;
}

/** Checks the model and the options, and builds the step. */
export function prepareTrainer(model: tf.LayersModel, options: JdOptions): Trainer {
  if (model === null || typeof model !== 'object' || !Array.isArray(model.outputs)) {
    throw new InvalidArgumentError('model', 'expected a tf.LayersModel.');
  }
  const compiled = readCompiledModel(model);
  const { aggregator, weighting } = options;
  if (aggregator !== undefined && !(aggregator instanceof Aggregator)) {
    throw new InvalidArgumentError(
      'args.aggregator',
      'is not a tfjs-jd Aggregator (e.g. new UPGrad()); a weighting goes in args.weighting.',
    );
  }
  if (weighting !== undefined && !(weighting instanceof Weighting)) {
    throw new InvalidArgumentError(
      'args.weighting',
      'is not a tfjs-jd Weighting (e.g. new UPGradWeighting()).',
    );
  }
  if (aggregator !== undefined && weighting !== undefined) {
    throw new InvalidArgumentError(
      'args.weighting',
      'give either an aggregator or a weighting, not both.',
    );
  }
  const outputCount = model.outputs.length;
  if (weighting !== undefined) {
    if (outputCount !== 1) {
      throw new InvalidArgumentError(
        'args.weighting',
        `instance-wise risk minimization needs a single-output model; this one has ${outputCount} ` +
          'outputs: give args.aggregator instead.',
      );
    }
    if (options.lossWeights !== undefined || options.sharedLayers !== undefined) {
      throw new InvalidArgumentError(
        options.lossWeights !== undefined ? 'args.lossWeights' : 'args.sharedLayers',
        'applies to a multi-output model (with an aggregator), not to args.weighting.',
      );
    }
    return {
      compiled,
      step: makeIwrmStep(model, compiled, weighting),
      lossWeights: undefined,
      trainKeys: [...compiled.logKeys, COSINE_KEY],
      release: () => undefined,
    };
  }
  if (outputCount < 2) {
    throw new InvalidArgumentError(
      'args.weighting',
      'a single-output model has one objective, nothing to aggregate: give args.weighting (e.g. ' +
        'new UPGradWeighting()) for instance-wise risk minimization, or use model.fit.',
    );
  }
  const lossWeights = resolveLossWeights(options.lossWeights, compiled.outputNames);
  const part = findSharedPart(model, options.sharedLayers);
  const chosen = aggregator ?? new UPGrad();
  const monitor = monitorAggregator(chosen);
  return {
    compiled,
    step: makeJdStep(model, compiled, part, chosen, lossWeights, monitor),
    lossWeights,
    trainKeys: [...compiled.logKeys, ...compiled.outputNames.map(weightKey), COSINE_KEY],
    release: () => monitor.remove(),
  };
}
