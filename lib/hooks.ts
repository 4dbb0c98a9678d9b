/**
 * PyTorch `nn.Module`-style forward hooks, shared by aggregators, weightings and scalarizers.
 */

/** Handle returned by `register…Hook`; `remove()` unregisters the hook (idempotent). */
export interface RemovableHandle {
  remove(): void;
}

/**
 * Called before `forward` with the module and its arguments. Returning an array replaces the
 * arguments; returning nothing keeps them.
 */
export type ForwardPreHook<M, Args extends unknown[]> = (module: M, args: Args) => Args | void;

/**
 * Called after `forward` with the module, its arguments and its output. Returning a value replaces
 * the output; returning nothing keeps it.
 */
export type ForwardHook<M, Args extends unknown[], Out> = (
  module: M,
  args: Args,
  output: Out,
) => Out | void;

/**
 * Base of every object with a `forward` method run through `apply`: validation, pre-hooks,
 * `forward`, then hooks, in registration order, as `torch.nn.Module.__call__` does.
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

  /** Validates the arguments, runs the pre-hooks, `forward`, then the forward hooks. */
  apply(...args: Args): Out {
    this.validate(...args);
    let actualArgs = args;
    for (const hook of this.preHooks.values()) {
      const replaced = hook(this, actualArgs);
      if (replaced !== undefined) actualArgs = replaced;
    }
    let output = this.forward(...actualArgs);
    for (const hook of this.hooks.values()) {
      const replaced = hook(this, actualArgs, output);
      if (replaced !== undefined) output = replaced;
    }
    return output;
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

  /** The short name of the method, as in TorchJD (`"UPGrad"`, `"Mean"`…). */
  toString(): string {
    return this.constructor.name;
  }
}

function register<H>(registry: Map<number, H>, id: number, hook: H): RemovableHandle {
  registry.set(id, hook);
  return { remove: () => void registry.delete(id) };
}
