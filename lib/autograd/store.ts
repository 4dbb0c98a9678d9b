/**
 * The `.grad` / `.jac` store: PyTorch keeps gradients on the tensors; tfjs variables have no such
 * field, so tfjs-jd keeps them here, keyed by variable. Values are kept out of every `tf.tidy`
 * scope and live until `zeroGrad` (or jacToGrad for `.jac`) disposes them.
 */
import * as tf from '@tensorflow/tfjs';
import { variableList, type Variables } from './variable_list';
import { InvalidArgumentError } from '../errors';

interface Slots {
  grad: tf.Tensor | null;
  jac: tf.Tensor | null;
}

const store = new Map<tf.Variable, Slots>();

function slotsOf(variable: tf.Variable): Slots {
  let slots = store.get(variable);
  if (slots === undefined) {
    slots = { grad: null, jac: null };
    store.set(variable, slots);
  }
  return slots;
}

function add(slot: 'grad' | 'jac', variable: tf.Variable, value: tf.Tensor): void {
  const slots = slotsOf(variable);
  const previous = slots[slot];
  if (previous !== null && !tf.util.arraysEqual(previous.shape, value.shape)) {
    throw new InvalidArgumentError(
      slot === 'grad' ? 'gradient' : 'jacobian',
      `cannot accumulate a value of shape [${value.shape}] into the .${slot} of variable ` +
        `'${variable.name}', which has shape [${previous.shape}].`,
    );
  }
  const sum = previous === null ? value.clone() : tf.add(previous, value);
  slots[slot] = tf.keep(sum);
  previous?.dispose();
}

/**
 * Adds `value` to the `.grad` of `variable` (the store keeps its own copy; the caller keeps
 * ownership of `value`). For autojac and autogram.
 */
export function accumulateGrad(variable: tf.Variable, value: tf.Tensor): void {
  add('grad', variable, value);
}

/**
 * Adds `value` to the `.jac` of `variable`: a tensor of shape `[m, ...variable.shape]`, one row per
 * objective. For autojac.
 */
export function accumulateJac(variable: tf.Variable, value: tf.Tensor): void {
  add('jac', variable, value);
}

/**
 * The gradient accumulated for `variable` by backward passes since the last `zeroGrad`, or `null`
 * (PyTorch's `v.grad`). The tensor belongs to the store: do not dispose it.
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.scalar(3));
 * backward(record(() => w.square()));
 * gradOf(w)!.print(); // 6
 * ```
 */
export function gradOf(variable: tf.Variable): tf.Tensor | null {
  return store.get(variable)?.grad ?? null;
}

/**
 * The Jacobian accumulated for `variable` by `autojac.backward` / `mtlBackward`, shape
 * `[m, ...variable.shape]`, or `null` (TorchJD's `v.jac`). The tensor belongs to the store.
 */
export function jacOf(variable: tf.Variable): tf.Tensor | null {
  return store.get(variable)?.jac ?? null;
}

/** Removes and disposes the `.jac` of each variable. For `jacToGrad`. */
export function clearJac(variables: tf.Variable[]): void {
  for (const variable of variables) {
    const slots = store.get(variable);
    if (slots === undefined) continue;
    slots.jac?.dispose();
    slots.jac = null;
    if (slots.grad === null) store.delete(variable);
  }
}

/**
 * Clears (and disposes) the `.grad` and `.jac` of `variables`, or of every variable when none is
 * given: PyTorch's `optimizer.zero_grad()` with `set_to_none=True`. `variables` may be any iterable,
 * `model.trainableWeights` included.
 *
 * @example
 * ```ts
 * optimizer.applyGradients(gradsMap());
 * zeroGrad();
 * ```
 */
export function zeroGrad(variables?: Variables): void {
  // Without a list, in the order the variables were created (as `tf.variableGrads` gives them):
  // tfjs optimizers match their state to the gradients by position.
  const list =
    variables === undefined
      ? [...store.keys()].sort((a, b) => a.id - b.id)
      : variableList(variables, 'variables', { allowDisposed: true });
  for (const variable of list) {
    const slots = store.get(variable);
    if (slots === undefined) continue;
    slots.grad?.dispose();
    slots.jac?.dispose();
    store.delete(variable);
  }
}

/**
 * The accumulated gradients as a `tf.NamedTensorMap` (variable name → `.grad`), ready for
 * `optimizer.applyGradients`, for `variables` (any iterable, `model.trainableWeights` included) or
 * every variable with one. Variables without a gradient are left out. The tensors belong to the
 * store (no copy is made): do not dispose them; `zeroGrad` does.
 *
 * @example
 * ```ts
 * const optimizer = tf.train.adam(1e-3);
 * backward(record(() => loss()));
 * optimizer.applyGradients(gradsMap());
 * zeroGrad();
 * ```
 */
export function gradsMap(variables?: Variables): tf.NamedTensorMap {
  const map: tf.NamedTensorMap = {};
  // Without a list, in the order the variables were created (as `tf.variableGrads` gives them):
  // tfjs optimizers match their state to the gradients by position.
  const list =
    variables === undefined
      ? [...store.keys()].sort((a, b) => a.id - b.id)
      : variableList(variables, 'variables', { allowDisposed: true });
  for (const variable of list) {
    const grad = gradOf(variable);
    if (grad !== null) map[variable.name] = grad;
  }
  return map;
}
