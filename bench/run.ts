/**
 * `npm run bench [-- --quick] [-- --only autograd,autojac]`: runs every benchmark on the fastest
 * backend present, prints one table (figure, value, target, backend) and writes
 * bench/results.json; a `--quick` smoke run writes to the system's temporary folder instead, so it
 * never overwrites the committed full results. Ratios are measured within one run, interleaved, so
 * machine noise hits both sides alike. `npm run bench -- --torchjd [--quick]` instead runs the
 * side-by-side comparison with TorchJD (bench/torchjd.ts) and prints its own table.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { useFastestBackend } from '../lib';
import { fallbackCounts } from '../lib/autograd';
import { BENCH_SOURCES, type BenchOptions, type BenchRow } from './common';

const SUITES = ['autograd', 'aggregation', 'autojac', 'autogram', 'training'].filter((suite) =>
  fs.existsSync(path.join(BENCH_SOURCES, `${suite}.ts`)),
);

interface Suite {
  run(options: BenchOptions): Promise<BenchRow[]>;
}

function parseArgs(argv: string[]): { quick: boolean; only?: string[]; torchjd: boolean } {
  const quick = argv.includes('--quick');
  const onlyIndex = argv.indexOf('--only');
  const only = onlyIndex >= 0 ? argv[onlyIndex + 1]?.split(',') : undefined;
  return { quick, only, torchjd: argv.includes('--torchjd') };
}

function formatValue(row: BenchRow): string {
  if (row.unit === 'ratio') return `${row.value.toFixed(2)}×`;
  if (row.unit === 'ms') return `${row.value.toFixed(2)} ms`;
  if (row.unit === 'MB') return `${row.value.toFixed(1)} MB`;
  return `${(row.value / 2 ** 20).toFixed(1)} MiB`;
}

function formatTarget(row: BenchRow): string {
  if (row.target === undefined) return '';
  const unit = row.unit === 'ratio' ? '×' : ` ${row.unit}`;
  return `≤ ${row.target.max}${unit}`;
}

function verdict(row: BenchRow): string {
  if (row.target === undefined) return '';
  return row.value <= row.target.max ? 'ok' : 'MISSED';
}

function printTable(rows: (BenchRow & { suite: string })[], backend: string): void {
  const header = ['suite', 'figure', 'value', 'target', '', 'backend'];
  const lines = rows.map((r) => [
    r.suite,
    r.figure,
    formatValue(r),
    formatTarget(r),
    verdict(r),
    backend,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(fmt(line));
}

async function main(): Promise<void> {
  const { quick, only, torchjd } = parseArgs(process.argv.slice(2));
  tf.env().set('PROD', true);
  const backend = await useFastestBackend();
  console.log(`tfjs-jd bench — backend: ${backend}${quick ? ' (quick)' : ''}`);
  if (torchjd) {
    // The side-by-side comparison is its own table (bench/torchjd.ts).
    const { runSideBySide } = await import('./torchjd');
    await runSideBySide({ quick, backend });
    return;
  }
  const rows: (BenchRow & { suite: string })[] = [];
  for (const suite of SUITES) {
    if (only !== undefined && !only.includes(suite)) continue;
    const started = performance.now();
    process.stderr.write(`running ${suite}…\n`);
    const module = (await import(`./${suite}`)) as Suite;
    const before = tf.memory().numTensors;
    for (const row of await module.run({ quick, backend })) rows.push({ suite, ...row });
    // Tensors the suite left alive: each suite disposes everything it made, so any is a leak.
    const leaked = tf.memory().numTensors - before;
    process.stderr.write(
      `  ${suite} done in ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
        (leaked > 0
          ? `${leaked} tensors left alive (a leak)`
          : leaked < 0
            ? `no tensor left alive, and ${-leaked} left by an earlier suite freed`
            : 'no tensor left alive') +
        '\n',
    );
  }
  printTable(rows, backend);
  console.log(`\ntensors alive after all suites: ${tf.memory().numTensors}`);
  // Batched backward passes (mtlGrads' trunk pass, jac, autogram's exact fallback) send a kernel
  // without a batching rule through one pass per row: the figures above are only as batched as this.
  const fallbacks = [...fallbackCounts.entries()].map(([kernel, count]) => `${kernel} ×${count}`);
  console.log(
    `kernels sent row by row in batched passes: ${fallbacks.length === 0 ? 'none' : fallbacks.join(', ')}`,
  );
  const missed = rows.filter((r) => verdict(r) === 'MISSED').length;
  console.log(
    `\n${rows.length} figures, ${rows.filter((r) => r.target).length} with targets, ${missed} missed.`,
  );
  const results = {
    date: new Date().toISOString(),
    backend,
    quick,
    node: process.version,
    tfjs: tf.version.tfjs,
    rows,
    fallbacks: Object.fromEntries(fallbackCounts),
  };
  const file = quick
    ? path.join(os.tmpdir(), 'tfjs-jd-bench-quick.json')
    : path.join(BENCH_SOURCES, 'results.json');
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(
    `wrote ${path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
