/** Argument checks shared by the autojac entry points, with TorchJD's error cases. */
import * as tf from '@tensorflow/tfjs';
import { onHostMemoryBackend, readFloat32 } from '../backend/host_data';
import { dependsOn, isRecorded } from '../autograd';
import { tensorListOf } from '../autograd/variable_list';
import { InvalidArgumentError, NotRecordedError, NumericalError } from '../errors';

/**
 * A tensor or an iterable of tensors (LayerVariables read), as a non-empty list of live tensors.
 */
export function tensorList(value: unknown, argument: string): tf.Tensor[] {
  const list = value === undefined ? [] : tensorListOf(value, argument);
  if (list.length === 0) throw new InvalidArgumentError(argument, 'cannot be empty.');
  return list;
}

/** Throws `NotRecordedError` unless every tensor comes from `record`. */
export function checkRecorded(tensors: tf.Tensor[], argument: string): void {
  tensors.forEach((t, i) => {
    if (!isRecorded(t)) {
      throw new NotRecordedError(
        `\`${argument}\` element ${i} was not computed inside record(): compute it inside ` +
          '`record(() => …)` and return it.',
      );
    }
  });
}

/** A parameter list (any iterable of variables or LayerVariables), checked. */
export { variableList } from '../autograd/variable_list';

/** Throws unless the losses are scalars. */
export function checkScalars(tensors: tf.Tensor[], argument: string): void {
  tensors.forEach((t, i) => {
    if (t.size !== 1) {
      throw new InvalidArgumentError(
        argument,
        `element ${i} has shape [${t.shape}]; expected scalar losses (one per objective), or ` +
          'pass `gradTensors` for non-scalar ones.',
      );
    }
  });
}

/** Which of the parameter lists the caller gave (the others were derived from the graph). */
export interface GivenParams {
  shared: boolean;
  tasks: boolean;
  /** The features, to say which of them reach a derived shared parameter. */
  features?: tf.Tensor[];
  /** The losses, to say whether any uses such a feature. */
  losses?: tf.Tensor[];
}

/**
 * Throws if a shared parameter is also a task parameter (TorchJD forbids the overlap). The error
 * names the list the caller gave; when both were derived, it names `features` and says which
 * feature reaches the parameter (often a feature that no loss uses, or one computed from a head).
 */
export function checkNoOverlap(
  shared: tf.Variable[],
  tasks: tf.Variable[][],
  given: GivenParams = { shared: true, tasks: true },
): void {
  const sharedSet = new Set(shared);
  tasks.forEach((params, i) => {
    const common = params.filter((p) => sharedSet.has(p));
    if (common.length === 0) return;
    const names = common.map((p) => `'${p.name}'`).join(', ');
    if (given.tasks) {
      throw new InvalidArgumentError(
        'tasksParams',
        `task ${i} has parameter(s) ${names} that are also shared parameters; sharedParams and ` +
          'tasksParams must not overlap.',
      );
    }
    const cause = overlapCause(common[0], given);
    const fix =
      'pass sharedParams and tasksParams explicitly, or return as features only what the heads read.';
    if (given.shared) {
      throw new InvalidArgumentError(
        'sharedParams',
        `parameter(s) ${names} of sharedParams are also reached by loss ${i} other than through ` +
          `the features, so they count as its task parameters (tasksParams was not given)${cause}; ${fix}`,
      );
    }
    throw new InvalidArgumentError(
      'features',
      `parameter(s) ${names} are reached both by the features (so they count as shared parameters) ` +
        `and by loss ${i} other than through them (so they count as its task parameters)${cause}; ` +
        `neither sharedParams nor tasksParams was given; ${fix}`,
    );
  });
}

/** `': feature 1 depends on it and no loss uses that feature'`, or `''` when nothing is known. */
function overlapCause(param: tf.Variable, given: GivenParams): string {
  const features = given.features ?? [];
  const k = features.findIndex((f) => dependsOn(f, [param]));
  if (k < 0) return '';
  const used = (given.losses ?? []).some((loss) => dependsOn(loss, [features[k]]));
  return `: feature ${k} depends on '${param.name}'${used ? '' : ' and no loss uses that feature'}`;
}

/**
 * Entries up to which `allFinite` reads the values of host-memory tensors (cpu, wasm) and checks
 * them in JavaScript: a few thousand entries (task heads' gradients) cost less that way than the
 * reduction kernels.
 */
const SCAN_IN_JAVASCRIPT = 1 << 16;

/**
 * True if every entry of every tensor is finite. Small float32 tensors on a host-memory backend are
 * scanned in JavaScript; otherwise one download: the sum of all entries, one reduction per tensor,
 * since NaN and ±∞ propagate through a sum, so a finite sum settles it; a sum that is not finite
 * (a non-finite entry, or finite entries overflowing float32) is settled entry by entry.
 */
export function allFinite(tensors: tf.Tensor[]): boolean {
  const nonEmpty = tensors.filter((t) => t.size > 0);
  if (nonEmpty.length === 0) return true;
  const size = nonEmpty.reduce((total, t) => total + t.size, 0);
  if (
    size <= SCAN_IN_JAVASCRIPT &&
    onHostMemoryBackend() &&
    nonEmpty.every((t) => t.dtype === 'float32')
  ) {
    return nonEmpty.every((t) => everyFinite(readFloat32(t)));
  }
  const total = tf.tidy(() => {
    const sums = nonEmpty.map((t) => tf.sum(t));
    return (sums.length === 1 ? sums[0] : tf.addN(sums)).dataSync()[0];
  });
  if (Number.isFinite(total)) return true;
  return (
    tf.tidy(
      () =>
        tf
          .stack(nonEmpty.map((t) => tf.all(tf.isFinite(t))))
          .min()
          .dataSync()[0],
    ) === 1
  );
}

/** True if no entry is NaN or ±∞: `x − x` is 0 exactly for the finite ones (a plain loop; a callback per entry costs several times more). */
function everyFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] - values[i] !== 0) return false;
  return true;
}

/**
 * Throws a `NumericalError` if a task parameter's gradient has a NaN or infinite entry, before
 * anything reaches `.grad` or an aggregator's state: the heads' gradients are checked as the
 * shared Jacobian is.
 */
export function checkTaskGradients(params: tf.Variable[], gradients: tf.Tensor[]): void {
  if (allFinite(gradients)) return;
  const bad = gradients.findIndex((g) => !allFinite([g]));
  throw new NumericalError(
    `The gradient of the task parameter '${params[bad].name}' has NaN or infinite entries (a ` +
      'loss or its head is not finite); refusing to write it into the gradients.',
  );
}

/** Throws if a tensor appears twice: TorchJD forbids repeated outputs, losses and features. */
export function checkUnique(tensors: tf.Tensor[], argument: string): void {
  if (new Set(tensors).size !== tensors.length) {
    throw new InvalidArgumentError(argument, 'should contain unique elements (one appears twice).');
  }
}

/** The list without repetitions, first occurrence kept (repeated inputs change nothing, as in torch). */
export function withoutRepeats<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/**
 * Checks the gradients given for the losses (`gradTensors`): one per loss, each of its loss's shape.
 */
export function checkGradSeeds(
  seeds: unknown,
  outputs: tf.Tensor[],
  argument: string,
): tf.Tensor[] {
  const list = tensorList(seeds as tf.Tensor | tf.Tensor[], argument);
  if (list.length !== outputs.length) {
    throw new InvalidArgumentError(
      argument,
      `should have one tensor per loss (got ${list.length} for ${outputs.length} losses).`,
    );
  }
  list.forEach((seed, i) => {
    if (!tf.util.arraysEqual(seed.shape, outputs[i].shape)) {
      throw new InvalidArgumentError(
        argument,
        `element ${i} has shape [${seed.shape}] but its loss has shape [${outputs[i].shape}]; ` +
          'they must match.',
      );
    }
  });
  return list;
}

/**
 * Checks initial Jacobians (`jacTensors`, `jacOutputs`): one per output, each of shape
 * `[rows, ...output.shape]`, all with the same number of rows.
 */
export function checkJacSeeds(
  seeds: tf.Tensor | tf.Tensor[],
  outputs: tf.Tensor[],
  argument: string,
  outputArgument: string,
): tf.Tensor[] {
  const list = tensorList(seeds, argument);
  if (list.length !== outputs.length) {
    throw new InvalidArgumentError(
      argument,
      `should have the same length as \`${outputArgument}\` (got ${list.length} and ` +
        `${outputs.length}).`,
    );
  }
  list.forEach((seed, i) => {
    if (!tf.util.arraysEqual(seed.shape.slice(1), outputs[i].shape)) {
      throw new InvalidArgumentError(
        argument,
        `element ${i} has shape [${seed.shape}]; expected [rows, ${outputs[i].shape}] (the shape ` +
          `of \`${outputArgument}\` element ${i} after a leading dimension of rows).`,
      );
    }
  });
  const rows = list[0].shape[0];
  if (rows === 0 || list.some((seed) => seed.shape[0] !== rows)) {
    throw new InvalidArgumentError(
      argument,
      'all tensors should have the same, non-zero number of rows (first dimension).',
    );
  }
  return list;
}
