/**
 * `npm run bench -- --torchjd [--quick]`: tfjs-jd and TorchJD side by side on the same machine, the
 * same models and the same steps (bench/torchjd/torchjd_bench.py mirrors bench/autojac.ts,
 * bench/autogram.ts and bench/aggregation.ts). The two libraries take turns, group by group and
 * round by round, so that machine noise hits both alike; one table gives each figure for both and
 * their ratio, with the spread of the per-round medians.
 *
 * Needs `python3` (or `$TFJS_JD_PYTHON`) with torch, numpy and scipy, and TorchJD either installed
 * or as source at `$TORCHJD_SRC` (default: /work/ref/torchjd/src when it exists). Where any of that
 * is missing the comparison is skipped with one line saying why; CI never runs it.
 *
 * TorchJD's QP goes through the exact stand-in for quadprog in bench/torchjd/stand_ins (block
 * principal pivoting in numpy), not quadprog's compiled active-set solver: the figures the QP
 * dominates (IWRM, UPGradWeighting at large m) may overstate TorchJD's time. On a loaded machine
 * set OMP_WAIT_POLICY=PASSIVE, or PyTorch's spinning threads slow it many times over.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import * as tf from '@tensorflow/tfjs';
import { UPGradWeighting } from '../lib/aggregation/upgrad';
import { mtlSteps } from './autojac';
import { iwrmSteps } from './autogram';
import { BENCH_SOURCES, timeInterleaved } from './common';

/** One group of steps timed together (interleaved), in both libraries. */
interface Group {
  /** The request name the Python side knows (`mtl:8`, `iwrm:64`, `weighting:256`). */
  id: string;
  label: string;
  /** Step name → label; the names are those both sides use. */
  steps: Record<string, string>;
  /** Ratios within one library: [label, numerator step, denominator step]. */
  ratios: [string, string, string][];
  repeat: { warmup: number; iters: number };
  /** The TorchJD side's repetitions, where its step is much slower. */
  pythonRepeat?: { warmup: number; iters: number };
  build(): { steps: Record<string, () => void>; dispose(): void };
}

function groups(quick: boolean): Group[] {
  const repeat = quick ? { warmup: 1, iters: 3 } : { warmup: 3, iters: 10 };
  const mtl = [2, 8, 32].map((m): Group => ({
    id: `mtl:${m}`,
    label: `MLP, m=${m} heads`,
    steps: { plain: 'plain step', jacobianDescent: 'JD step (UPGrad)' },
    ratios: [['JD/plain step', 'jacobianDescent', 'plain']],
    repeat,
    build: () => {
      const { plain, jacobianDescent, dispose } = mtlSteps(m);
      return { steps: { plain, jacobianDescent }, dispose };
    },
  }));
  const iwrm = [64, 256].map((batch): Group => ({
    id: `iwrm:${batch}`,
    label: `IWRM, b=${batch}`,
    steps: { plain: 'plain step', iwrm: 'IWRM step (autogram + UPGrad)' },
    ratios: [['IWRM/plain step', 'iwrm', 'plain']],
    repeat,
    pythonRepeat: batch > 64 ? { warmup: 0, iters: 1 } : repeat,
    build: () => {
      const { plain, iwrm, dispose } = iwrmSteps(batch);
      return { steps: { plain, iwrm }, dispose };
    },
  }));
  const weighting = [32, 128, 256].map((m): Group => ({
    id: `weighting:${m}`,
    label: `m=${m}`,
    steps: { upgradWeighting: 'UPGradWeighting' },
    ratios: [],
    repeat,
    pythonRepeat: m > 64 ? { warmup: 0, iters: quick ? 1 : 2 } : repeat,
    build: () => {
      const gramian = tf.tidy(() => {
        const J = tf.randomNormal([m, 1000], 0, 1, 'float32', m);
        return tf.matMul(J, J, false, true) as tf.Tensor2D;
      });
      const w = new UPGradWeighting();
      return {
        steps: { upgradWeighting: () => void w.apply(gramian).dataSync() },
        dispose: () => gramian.dispose(),
      };
    },
  }));
  return [...mtl, ...iwrm, ...weighting];
}

/** The Python side: one process answering one JSON line per request. */
class TorchJdProcess {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterableIterator<string>,
    /** e.g. "TorchJD 0.17 on PyTorch 2.13, 2 threads". */
    readonly versions: string,
  ) {}

  /** Starts the script; resolves to the process, or to the reason it could not start. */
  static async start(): Promise<TorchJdProcess | string> {
    const python = process.env.TFJS_JD_PYTHON ?? 'python3';
    const script = path.join(BENCH_SOURCES, 'torchjd', 'torchjd_bench.py');
    const source = process.env.TORCHJD_SRC ?? '/work/ref/torchjd/src';
    const env = { ...process.env, ...(fs.existsSync(source) ? { TORCHJD_SRC: source } : {}) };
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(python, [script], { env });
    } catch (error) {
      return `cannot run ${python}: ${String(error)}`;
    }
    const failed = new Promise<string>((resolve) => {
      child.on('error', (error) => resolve(`cannot run ${python}: ${error.message}`));
    });
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = lines.next().then((r) => (r.done === true ? undefined : r.value));
    const line = await Promise.race([first, failed]);
    if (line === undefined || (typeof line === 'string' && !line.startsWith('{'))) {
      child.kill();
      return typeof line === 'string' && line.length > 0
        ? line
        : `${python} exited: ${stderr.join('').trim().split('\n').pop() ?? 'no output'}`;
    }
    const hello = JSON.parse(line) as {
      ready?: boolean;
      error?: string;
      torch?: string;
      torchjd?: string;
      threads?: number;
    };
    if (hello.ready !== true) {
      child.kill();
      return `torch or TorchJD cannot be imported (${hello.error ?? 'unknown error'})`;
    }
    const versions = `TorchJD ${hello.torchjd} on PyTorch ${hello.torch}, ${hello.threads} threads`;
    return new TorchJdProcess(child, lines, versions);
  }

  async time(
    group: string,
    repeat: { warmup: number; iters: number },
  ): Promise<Record<string, number>> {
    this.child.stdin.write(JSON.stringify({ group, ...repeat }) + '\n');
    const next = await this.lines.next();
    if (next.done === true) throw new Error('the TorchJD process ended early');
    const answer = JSON.parse(next.value) as { times?: Record<string, number>; error?: string };
    if (answer.times === undefined) throw new Error(`TorchJD, ${group}: ${answer.error}`);
    return answer.times;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function format(value: number, unit: 'ms' | '×'): string {
  return unit === 'ms'
    ? `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`
    : `${value.toFixed(2)}×`;
}

/** Runs the comparison and prints its table; prints one line and returns where it cannot run. */
export async function runSideBySide(options: { quick: boolean; backend: string }): Promise<void> {
  const python = await TorchJdProcess.start();
  if (typeof python === 'string') {
    console.log(`TorchJD comparison skipped: ${python}.`);
    return;
  }
  const rounds = options.quick ? 1 : 3;
  const list = groups(options.quick);
  type Samples = Record<string, { tfjs: number[]; torchjd: number[] }>;
  const samples = new Map<string, Samples>(list.map((g) => [g.id, {}]));
  const add = (group: string, key: string, side: 'tfjs' | 'torchjd', value: number) => {
    const perGroup = samples.get(group)!;
    (perGroup[key] ??= { tfjs: [], torchjd: [] })[side].push(value);
  };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const group of list) {
        process.stderr.write(`round ${round + 1}/${rounds}: ${group.id}…\n`);
        const built = group.build();
        const before = tf.memory().numTensors;
        const mine = timeInterleaved(built.steps, group.repeat);
        built.dispose();
        if (tf.memory().numTensors > before) {
          process.stderr.write(
            `  (${group.id}: ${tf.memory().numTensors - before} tensors left)\n`,
          );
        }
        const theirs = await python.time(group.id, group.pythonRepeat ?? group.repeat);
        for (const side of ['tfjs', 'torchjd'] as const) {
          const times = side === 'tfjs' ? mine : theirs;
          for (const step of Object.keys(group.steps)) add(group.id, step, side, times[step]);
          for (const [label, top, bottom] of group.ratios) {
            add(group.id, label, side, times[top] / times[bottom]);
          }
        }
      }
    }
  } finally {
    python.close();
  }

  const header = [
    'group',
    'figure',
    'tfjs-jd',
    'TorchJD',
    'tfjs-jd/TorchJD',
    'spread tfjs-jd',
    'spread TorchJD',
  ];
  const lines: string[][] = [];
  for (const group of list) {
    const perGroup = samples.get(group.id)!;
    const entries: [string, string, 'ms' | '×'][] = [
      ...Object.entries(group.steps).map(([step, label]): [string, string, 'ms'] => [
        step,
        label,
        'ms',
      ]),
      ...group.ratios.map(([label]): [string, string, '×'] => [label, label, '×']),
    ];
    for (const [key, label, unit] of entries) {
      const { tfjs, torchjd } = perGroup[key];
      const [a, b] = [median(tfjs), median(torchjd)];
      const spread = (v: number[]) =>
        v.length > 1 ? `${format(Math.min(...v), unit)}–${format(Math.max(...v), unit)}` : '';
      lines.push([
        group.label,
        label,
        format(a, unit),
        format(b, unit),
        `${(a / b).toFixed(2)}`,
        spread(tfjs),
        spread(torchjd),
      ]);
    }
  }
  console.log(
    `tfjs-jd (${options.backend}) vs ${python.versions}; medians of ${rounds} alternating round(s)`,
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(fmt(line));
}
