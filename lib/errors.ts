/**
 * The typed errors of tfjs-jd. Every error the library throws on purpose is a `TfjsJdError`, so
 * callers can tell a usage or numerical problem from a bug.
 */

/**
 * Base class of every error thrown on purpose by tfjs-jd. Its `name` is the constructor's; the
 * library's own subclasses state theirs, since a minifier mangles constructor names.
 */
export class TfjsJdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * An argument does not have the expected type, shape, range or content. `argument` names it as in
 * the signature of the function that was called.
 *
 * @example
 * ```ts
 * try { new UPGrad().apply(tf.tensor1d([1, 2])); }
 * catch (e) { if (e instanceof InvalidArgumentError) console.log(e.argument); } // 'matrix'
 * ```
 */
export class InvalidArgumentError extends TfjsJdError {
  override readonly name = 'InvalidArgumentError';

  constructor(
    readonly argument: string,
    detail: string,
  ) {
    super(`Invalid argument \`${argument}\`: ${detail}`);
  }
}

/**
 * A backward pass went through a recorded graph whose saved tensors were already freed, by an
 * earlier backward pass without `retainGraph: true` or by `disposeGraph`.
 */
export class GraphFreedError extends TfjsJdError {
  override readonly name = 'GraphFreedError';
}

/** A tensor that must come from `record` (or be a variable read inside it) was not recorded. */
export class NotRecordedError extends TfjsJdError {
  override readonly name = 'NotRecordedError';
}

/** A numerical problem (non-finite values, a QP that cannot be solved) that the library refuses to hide. */
export class NumericalError extends TfjsJdError {
  override readonly name = 'NumericalError';
}

/** The installed TensorFlow.js lacks an internal that tfjs-jd relies on. */
export class UnsupportedTfjsError extends TfjsJdError {
  override readonly name = 'UnsupportedTfjsError';
}
