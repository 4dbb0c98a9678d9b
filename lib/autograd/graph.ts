/**
 * Recorded graphs: what `record` keeps of a forward pass so that it can be differentiated later,
 * any number of times, from any recorded tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { GraphFreedError } from '../errors';
import { runOnFreshTape, type TapeNode } from './tfjs_internals';

/** The tape of one `record` call. */
export class Graph {
  freed = false;
  /** Tensor id → the node that produced it. */
  readonly producers = new Map<number, TapeNode>();
  /** Graphs of earlier records whose outputs this one consumed. */
  readonly upstream = new Set<Graph>();

  constructor(
    readonly nodes: TapeNode[],
    /** The tensors `record` returned; when all are disposed the graph can be freed. */
    readonly returned: tf.Tensor[],
  ) {
    for (const node of nodes)
      for (const output of node.outputs) this.producers.set(output.id, node);
  }

  /** Disposes the saved tensors: the graph can no longer be differentiated. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const node of this.nodes) for (const saved of node.saved ?? []) saved.dispose();
    liveGraphs.delete(this);
  }

  /** Throws `GraphFreedError` if this graph was freed. */
  assertAlive(): void {
    if (this.freed) {
      throw new GraphFreedError(
        'Trying to differentiate through a graph a second time, but its saved tensors were ' +
          'already freed by an earlier backward pass (or by disposeGraph). Pass ' +
          '`retainGraph: true` to the earlier backward/grad call if you need to differentiate ' +
          'the same recorded graph more than once.',
      );
    }
  }
}

/** Graph of each tensor a node of a live or freed graph produced (weak: dies with the tensor). */
const graphOfTensor = new WeakMap<tf.Tensor, Graph>();
/** Graphs not yet freed. */
const liveGraphs = new Set<Graph>();

/** The graph that produced `tensor`, or undefined if it was not recorded. */
export function graphOf(tensor: tf.Tensor): Graph | undefined {
  return graphOfTensor.get(tensor);
}

/** Every tensor in a (possibly nested) container of arrays and plain objects. */
export function tensorsIn(value: unknown, found: tf.Tensor[] = []): tf.Tensor[] {
  if (value instanceof tf.Tensor) found.push(value);
  else if (Array.isArray(value)) for (const item of value) tensorsIn(item, found);
  else if (value !== null && typeof value === 'object' && value.constructor === Object) {
    for (const item of Object.values(value)) tensorsIn(item, found);
  }
  return found;
}

/**
 * Frees the live graphs whose returned tensors the user has all disposed: nothing can start a
 * backward pass through them any more, so their saved tensors would only leak. This is what makes
 * a training loop that never calls `disposeGraph` keep `tf.memory().numTensors` flat.
 */
function collectUnreachableGraphs(): void {
  for (const graph of liveGraphs) {
    if (graph.returned.every((t) => t.isDisposed)) graph.free();
  }
}

/**
 * Runs `fn` with the TensorFlow.js tape on and returns what it returns (a tensor, or any nesting of
 * arrays and plain objects holding tensors). The returned tensors stay alive and can be
 * differentiated later, any number of times with `retainGraph: true`, by `backward`, `grad`,
 * `mtlBackward`, `jac`…; intermediates are disposed except what backward passes need. Variables
 * read inside `fn` are the leaves of the graph.
 *
 * The graph's saved tensors are freed by a backward pass without `retainGraph`, by
 * `disposeGraph(out)`, or automatically at a later `record` once every tensor `fn` returned has
 * been disposed.
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
  const { result, nodes } = runOnFreshTape(() => tf.tidy(() => fn() as never) as T);
  const returned = tensorsIn(result);
  const graph = new Graph(nodes, returned);
  for (const node of nodes) {
    for (const output of node.outputs) graphOfTensor.set(output, graph);
    for (const input of Object.values(node.inputs)) {
      const upstream = graphOfTensor.get(input);
      if (upstream !== undefined && upstream !== graph) graph.upstream.add(upstream);
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

/** All graphs the tensors depend on, their own and those upstream, each once. */
export function graphsReaching(tensors: tf.Tensor[]): Graph[] {
  const found = new Set<Graph>();
  const pending: Graph[] = [];
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

/** The nodes of `graphs`, in the order they ran (tape node ids are global and increasing). */
export function nodesInRunOrder(graphs: Graph[]): TapeNode[] {
  if (graphs.length === 1) return graphs[0].nodes;
  return graphs.flatMap((g) => g.nodes).sort((a, b) => a.id - b.id);
}

/** Frees the graphs of `tensors` and every graph upstream of them. For autojac. */
export function freeGraphsReaching(tensors: tf.Tensor[]): void {
  for (const graph of graphsReaching(tensors)) graph.free();
}
