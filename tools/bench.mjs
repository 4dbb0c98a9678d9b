// `npm run bench [-- options]`: the benchmarks on the code as the package ships it. tsc compiles
// lib/ and bench/ to CommonJS with the settings of dist/cjs (tsconfig.bench.json, incrementally),
// then Node runs bench/run.js from there. Through tsx instead, every closure the library creates
// also pays esbuild's name-keeping and every import a getter: about 5% of a two-head
// Jacobian-descent step that no user of the package pays (the plain tfjs step pays none of it).
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.bench.json')],
  { stdio: 'inherit' },
);
const compiled = join(root, 'node_modules/.cache/tfjs-jd-bench/bench/run.js');
const { status } = spawnSync(
  process.execPath,
  ['--enable-source-maps', compiled, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { ...process.env, TFJS_JD_BENCH_SOURCES: join(root, 'bench') },
  },
);
process.exit(status ?? 1);
