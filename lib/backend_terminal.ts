/**
 * Where `jdFit({ verbose: 1 })` prints in Node: stdout for the epoch lines and stderr for the
 * progress bar, as tfjs-node's `model.fit` does. Kept beside `backend.ts` because it is the only
 * other place that touches `process`; in a browser there is no terminal and nothing is printed
 * (as tfjs's `model.fit`, which prints only where tfjs-node registered its logger).
 */

/** A line printer and a redrawable status line. */
export interface Terminal {
  /** Prints one line (stdout). */
  line(text: string): void;
  /** Redraws the status line in place (stderr); undefined when stderr is not a terminal. */
  status?: (text: string) => void;
  /** The terminal's width in columns. */
  columns: number;
}

interface WritableLike {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** The Node terminal, or null outside Node. */
export function nodeTerminal(): Terminal | null {
  const proc = (globalThis as { process?: { stdout?: WritableLike; stderr?: WritableLike } })
    .process;
  const stdout = proc?.stdout;
  const stderr = proc?.stderr;
  if (stdout === undefined || typeof stdout.write !== 'function') return null;
  const tty = stderr !== undefined && stderr.isTTY === true;
  return {
    line: (text) => void stdout.write(`${text}\n`),
    status: tty ? (text) => void stderr.write(`\r${text}\x1b[K`) : undefined,
    columns: stderr?.columns ?? stdout.columns ?? 80,
  };
}
