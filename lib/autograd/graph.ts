/**
 * Recorded graphs: what `record` keeps of a forward pass so that it can be differentiated later,
 * any number of times, from any recorded tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { GraphFreedError } from '../errors';
import { runOnFreshTape, type TapeNode } from './tfjs_internals';
import { isTensor, isVariable } from '../tfjs_guards';

/** The tape of one `record` call. */
export class Graph {
  freed = false;
  /** Tensor id → the node that produced it. */
  readonly producers = new Map<number, TapeNode>();
  /** Graphs of earlier records whose outputs this one consumed. */
  readonly upstream = new Set<Graph>();
  /** Called once when the graph is freed (to release what was computed from it). */
  private readonly freeCallbacks: (() => void)[] = [];

  constructor(
    readonly nodes: TapeNode[],
    /** The tensors `record` returned; when all are disposed the graph can be freed. */
    readonly returned: tf.Tensor[],
  ) {
    for (const node of nodes)
      for (const output of node.outputs) this.producers.set(output.id, node);
  }

  /** Disposes every node's saved tensors: no part of the graph can be differentiated any more. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    freeNodes(this.nodes);
    liveGraphs.delete(this);
    for (const callback of this.freeCallbacks.splice(0)) callback();
  }

  /** Runs `callback` when the graph is freed. */
  onFree(callback: () => void): void {
    this.freeCallbacks.push(callback);
  }

  /** Frees the whole graph once a series of partial frees has reached every node. */
  freeIfExhausted(): void {
    if (!this.freed && this.nodes.every((node) => node.freed === true)) this.free();
  }
}

/**
 * Disposes the saved tensors of `nodes`, as PyTorch releases the buffers of the nodes a backward
 * pass went through: a later pass that needs one of them throws `GraphFreedError`.
 */
export function freeNodes(nodes: TapeNode[]): void {
  for (const node of nodes) {
    if (node.freed === true) continue;
    node.freed = true;
    for (const saved of node.saved ?? []) saved.dispose();
  }
}

/** Throws `GraphFreedError` if the saved tensors of `node` were disposed. */
export function assertNodeAlive(node: TapeNode): void {
  if (node.freed === true) {
    throw new GraphFreedError(
      `Trying to differentiate through a recorded operation (${node.kernelName}) a second ` +
        'time, but its saved tensors were already freed by an earlier backward pass (or by ' +
        'disposeGraph). Pass `retainGraph: true` to the earlier backward/grad call if you need ' +
        'to differentiate the same recorded graph more than once.',
    );
  }
}

/** Graph of each tensor a node of a live or freed graph produced (weak: dies with the tensor). */
const graphOfTensor = new WeakMap<tf.Tensor, Graph>();
/** Variables read by a recorded operation: the leaves of recorded graphs. */
const recordedLeaves = new WeakSet<tf.Tensor>();
/** Graphs not yet freed. */
const liveGraphs = new Set<Graph>();

/** True if `tensor` is a variable that some recorded operation read. */
export function isRecordedLeaf(tensor: tf.Tensor): boolean {
  return recordedLeaves.has(tensor);
}

/** The graph that produced `tensor`, or undefined if it was not recorded. */
export function graphOf(tensor: tf.Tensor): Graph | undefined {
  return graphOfTensor.get(tensor);
}

/** The recorded node that produced `tensor`, or undefined (a leaf, or not recorded). */
export function producerOf(tensor: tf.Tensor): TapeNode | undefined {
  return graphOfTensor.get(tensor)?.producers.get(tensor.id);
}

/** Every tensor in a (possibly nested) container of arrays and plain objects. */
export function tensorsIn(value: unknown, found: tf.Tensor[] = []): tf.Tensor[] {
  if (isTensor(value)) found.push(value);
  else if (Array.isArray(value)) for (const item of value) tensorsIn(item, found);
  else if (value !== null && typeof value === 'object' && value.constructor === Object) {
    for (const item of Object.values(value)) tensorsIn(item, found);
  }
  return found;
}

/**
 * Frees the live graphs whose returned tensors the user has all disposed, unless a graph still in
 * use was recorded on top of them: nothing can start a backward pass through them any more, so
 * their saved tensors would only leak. This is what makes a training loop that never calls
 * `disposeGraph` keep `tf.memory().numTensors` flat.
 */
function collectUnreachableGraphs(): void {
  const unreachable: Graph[] = [];
  const inUse: Graph[] = [];
  for (const graph of liveGraphs) {
    (graph.returned.every((t) => t.isDisposed) ? unreachable : inUse).push(graph);
  }
  if (unreachable.length === 0) return;
  const neededUpstream = new Set(graphsReaching([], inUse));
  for (const graph of unreachable) if (!neededUpstream.has(graph)) graph.free();
}

/**
 * Runs `fn` with the TensorFlow.js tape on and returns what it returns (a tensor, or any nesting of
 * arrays and plain objects holding tensors). The returned tensors stay alive and can be
 * differentiated later, any number of times with `retainGraph: true`, by `backward`, `grad`,
 * `mtlBackward`, `jac`…; intermediates are disposed except what backward passes need. Variables
 * read inside `fn` are the leaves of the graph.
 *
 * The saved tensors are freed node by node by a backward pass without `retainGraph` (the nodes it
 * went through, as in PyTorch), all at once by `disposeGraph(out)`, or automatically at a later
 * `record` once every tensor `fn` returned has been disposed (unless a later record built on them).
 *
 * Tensors created inside `fn` and not returned are disposed when `fn` ends, so they cannot be
 * passed to `backward`/`grad` later: return the intermediates you want gradients for. Saved
 * tensors are copies: assigning new values to the variables after recording does not change what a
 * later backward pass computes. `tf.grad`/`tf.variableGrads` called inside `fn` are recorded too,
 * so their results can be differentiated again (second derivatives, PyTorch's `create_graph`);
 * conversely, `tf.variableGrads` around a `record` does not see the operations recorded inside it.
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.tensor1d([1, 2]));
 * const { l1, l2 } = record(() => ({ l1: w.square().sum(), l2: w.sum() }));
 * backward(l1, { retainGraph: true });
 * backward(l2);
 * gradOf(w)!.print(); // [3, 5]
 * ```
 */
export function record<T>(fn: () => T): T {
  collectUnreachableGraphs();
  const { result, nodes } = runOnFreshTape(fn);
  const returned = tensorsIn(result);
  const graph = new Graph(nodes, returned);
  for (const node of nodes) {
    for (const output of node.outputs) graphOfTensor.set(output, graph);
    for (const input of Object.values(node.inputs)) {
      const upstream = graphOfTensor.get(input);
      if (upstream !== undefined && upstream !== graph) graph.upstream.add(upstream);
      if (isVariable(input)) recordedLeaves.add(input);
    }
  }
  if (nodes.length > 0) liveGraphs.add(graph);
  return result;
}

/**
 * Frees the graph recorded for the tensors in `out` (what `record` returned, or any part of it),
 * disposing the tensors saved for backward passes. Use it after the last backward pass that
 * retained the graph. The tensors in `out` themselves are not disposed.
 *
 * @example
 * ```ts
 * const out = record(() => model.apply(x) as tf.Tensor);
 * backward(out.sum(), { retainGraph: true }); // … more backward passes …
 * disposeGraph(out);
 * ```
 */
export function disposeGraph(out: unknown): void {
  for (const tensor of tensorsIn(out)) graphOfTensor.get(tensor)?.free();
}

/** All graphs the tensors (and `graphs`) depend on, their own and those upstream, each once. */
export function graphsReaching(tensors: tf.Tensor[], graphs: Graph[] = []): Graph[] {
  const found = new Set<Graph>(graphs);
  const pending: Graph[] = [...graphs];
  for (const tensor of tensors) {
    const graph = graphOfTensor.get(tensor);
    if (graph !== undefined && !found.has(graph)) {
      found.add(graph);
      pending.push(graph);
    }
  }
  while (pending.length > 0) {
    for (const upstream of pending.pop()!.upstream) {
      if (!found.has(upstream)) {
        found.add(upstream);
        pending.push(upstream);
      }
    }
  }
  return [...found];
}

/** Frees the graphs of `tensors` and every graph upstream of them. For autojac. */
export function freeGraphsReaching(tensors: tf.Tensor[]): void {
  for (const graph of graphsReaching(tensors)) graph.free();
}
