/**
 * PyTorch `nn.Module`-style forward hooks, shared by aggregators, weightings and scalarizers.
 */
import type * as tf from '@tensorflow/tfjs';
import { describeValue } from './argument_checks';
import { isTensor } from './tfjs_guards';
import { InvalidArgumentError } from './errors';

/** Handle returned by `register…Hook`; `remove()` unregisters the hook (idempotent). */
export interface RemovableHandle {
  remove(): void;
}

/**
 * Called before `forward` with the module and its arguments. Returning an array replaces the
 * arguments (a single value stands for a one-element array, as PyTorch wraps it in a tuple);
 * returning nothing keeps them.
 *
 * Ownership: the arguments are borrowed (do not dispose them). Tensors in a returned array that
 * were not among the arguments are handed over: `apply` disposes them once `forward` and the
 * forward hooks are done (keep one alive with `tf.keep` or by returning a clone if you need it).
 */
export type ForwardPreHook<M, Args extends unknown[]> = (module: M, args: Args) => Args | void;

/**
 * Called after `forward` with the module, its arguments and its output. Returning a value replaces
 * the output; returning nothing (or the output itself) keeps it.
 *
 * Ownership: `output` is borrowed: do not dispose it, and clone it (`output.clone()`) to keep its
 * values past the hook. A returned replacement is handed over to `apply`: it disposes the output it
 * replaces (unless the hook returned it, or it is one of the arguments) and returns the
 * replacement to its caller, who owns it as any output. When a hook throws, or returns a
 * replacement of the wrong kind or shape (an `InvalidArgumentError` naming the hook), `apply`
 * disposes the output it holds before rethrowing: nothing leaks.
 *
 * @example
 * ```ts
 * aggregator.registerForwardHook((_agg, _args, output) => tf.mul(output, 0.5)); // owned by apply
 * ```
 */
export type ForwardHook<M, Args extends unknown[], Out> = (
  module: M,
  args: Args,
  output: Out,
) => Out | void;

/**
 * Base of every object with a `forward` method run through `apply`: validation, pre-hooks,
 * `forward`, then hooks, in registration order, as `torch.nn.Module.__call__` does. Tensors that
 * `apply` owns on the way (hook replacements, the output while hooks run) are disposed when they
 * are replaced or when something throws; see {@link ForwardHook} for who owns what.
 */
export abstract class HookedModule<Args extends unknown[], Out> {
  // Stored with the base type so subclasses stay assignable to their bases; `register…Hook` keeps
  // the precise `this` type for callers.
  private readonly preHooks = new Map<number, ForwardPreHook<HookedModule<Args, Out>, Args>>();
  private readonly hooks = new Map<number, ForwardHook<HookedModule<Args, Out>, Args, Out>>();
  private nextHookId = 0;

  /** Computes the output; called by `apply` after validation and pre-hooks. */
  abstract forward(...args: Args): Out;

  /** Throws an `InvalidArgumentError` when the arguments are not acceptable. */
  protected validate(..._args: Args): void {}

  /**
   * Throws (a typed error) when the final output is not acceptable, e.g. not finite; `apply` then
   * disposes it. Runs after the forward hooks.
   */
  protected checkOutput(_output: Out, _args: Args): void {}

  /** Validates the arguments, runs the pre-hooks, `forward`, then the forward hooks. */
  apply(...args: Args): Out {
    this.validate(...args);
    const owned: tf.Tensor[] = [];
    const borrowed = new Set<unknown>(args);
    let actualArgs = args;
    let result: unknown;
    try {
      for (const [position, hook] of [...this.preHooks.values()].entries()) {
        let replaced: unknown = hook(this, actualArgs);
        if (replaced === undefined) continue;
        // As PyTorch wraps a single returned value into a tuple.
        if (!Array.isArray(replaced) && actualArgs.length === 1) replaced = [replaced];
        if (!Array.isArray(replaced) || replaced.length !== actualArgs.length) {
          throw new InvalidArgumentError(
            hookName('forward pre-hook', hook, position),
            `of ${this.toString()} returned ${describeValue(replaced)}; expected undefined or an ` +
              `array of ${actualArgs.length} argument(s).`,
          );
        }
        for (const value of replaced) {
          if (isTensor(value) && !borrowed.has(value) && !owned.includes(value)) owned.push(value);
        }
        actualArgs = replaced as Args;
      }
      // Substituted arguments are checked as the caller's were.
      if (actualArgs !== args) this.validate(...actualArgs);
      let output = this.forward(...actualArgs);
      const release = (value: unknown) => {
        if (isTensor(value) && !borrowed.has(value) && !actualArgs.includes(value)) {
          if (!value.isDisposed) value.dispose();
        }
      };
      try {
        for (const [position, hook] of [...this.hooks.values()].entries()) {
          const replaced = hook(this, actualArgs, output);
          if (replaced === undefined || replaced === output) continue;
          try {
            checkReplacement(
              hookName('forward hook', hook, position),
              this.toString(),
              output,
              replaced,
            );
          } catch (error) {
            release(replaced);
            throw error;
          }
          release(output);
          output = replaced;
        }
        this.checkOutput(output, actualArgs);
      } catch (error) {
        release(output);
        throw error;
      }
      result = output;
      return output;
    } finally {
      for (const t of owned) if (t !== result && !t.isDisposed) t.dispose();
    }
  }

  /** Registers `hook` to run before every `forward`. */
  registerForwardPreHook(hook: ForwardPreHook<this, Args>): RemovableHandle {
    return register(
      this.preHooks,
      this.nextHookId++,
      hook as ForwardPreHook<HookedModule<Args, Out>, Args>,
    );
  }

  /** Registers `hook` to run after every `forward`. */
  registerForwardHook(hook: ForwardHook<this, Args, Out>): RemovableHandle {
    return register(
      this.hooks,
      this.nextHookId++,
      hook as ForwardHook<HookedModule<Args, Out>, Args, Out>,
    );
  }

  /** True if a forward pre-hook or hook is registered. */
  hasHooks(): boolean {
    return this.preHooks.size > 0 || this.hooks.size > 0;
  }

  /**
   * The short name of the method, as in TorchJD (`"UPGrad"`, `"Mean"`…). Every method of the
   * library states its own: the constructor's name this falls back to is mangled by minifiers.
   */
  toString(): string {
    return this.constructor.name;
  }
}

function register<H>(registry: Map<number, H>, id: number, hook: H): RemovableHandle {
  registry.set(id, hook);
  return { remove: () => void registry.delete(id) };
}

/**
 * Throws an `InvalidArgumentError` naming the hook unless `replacement` can stand for `output`:
 * for a tensor output, a live tensor of the same shape and dtype.
 */
function checkReplacement(
  hook: string,
  module: string,
  output: unknown,
  replacement: unknown,
): void {
  if (!isTensor(output)) return;
  if (!isTensor(replacement) || replacement.isDisposed) {
    throw new InvalidArgumentError(
      hook,
      `of ${module} returned ${isTensor(replacement) ? 'a disposed tensor' : describeValue(replacement)}; ` +
        `expected undefined or a live tf.Tensor of shape [${output.shape}] to replace the output.`,
    );
  }
  const sameShape =
    replacement.shape.length === output.shape.length &&
    replacement.shape.every((size, i) => size === output.shape[i]);
  if (!sameShape || replacement.dtype !== output.dtype) {
    throw new InvalidArgumentError(
      hook,
      `of ${module} returned a ${replacement.dtype} tensor of shape [${replacement.shape}]; the ` +
        `output it replaces is a ${output.dtype} tensor of shape [${output.shape}].`,
    );
  }
}

/** How errors name a hook: by its function's name when it has one, else by its position. */
function hookName(kind: string, hook: (...args: never[]) => unknown, position: number): string {
  return hook.name ? `${kind} ${hook.name}` : `${kind} #${position}`;
}
