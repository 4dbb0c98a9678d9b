// The package test (`npm run test:package`): tfjs-jd packed and installed as a user gets it, into
// consumer projects that bring their own tfjs (the newest 4.x, with the optional wasm backend, and
// an older minor without it). In each: exactly one tfjs-core in the tree, no tfjs-node (nothing
// downloads libtensorflow), a CommonJS script and an ES-module script that train and build an
// autogram Engine, and a TypeScript type-check with moduleResolution node16 and bundler.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { installedVersion, makeConsumer, packLibrary, repoRoot, run } from './consumer.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

export const CONSUMERS = [
  {
    name: 'newest',
    deps: ['@tensorflow/tfjs@^4', '@tensorflow/tfjs-backend-wasm@^4'],
    backend: 'wasm',
  },
  { name: 'tfjs-4.21', deps: ['@tensorflow/tfjs@4.21.0'], backend: 'cpu' },
  // The oldest 4.x: the peer range starts there. Its wasm backend lacks kernels tfjs-jd uses
  // (IsFinite), so the wasm peer range starts at 4.21.
  { name: 'tfjs-4.0', deps: ['@tensorflow/tfjs@4.0.0'], backend: 'cpu' },
];

const started = Date.now();
const { files } = packLibrary();
for (const needed of [
  'LICENSE',
  'README.md',
  'package.json',
  'dist/cjs/index.js',
  'dist/cjs/index.d.ts',
  'dist/cjs/index.js.map',
  'dist/esm/index.js',
  'dist/esm/index.js.map',
  'dist/esm/node.js',
  'dist/esm/index.d.ts',
]) {
  assert.ok(files.includes(needed), `the tarball lacks ${needed}`);
}
assert.ok(
  !files.some((f) => /^(lib|spec|test|demos|bench)\//.test(f)),
  'the tarball ships sources or tests',
);
console.log(`packed: ${files.length} files`);

const results = [];
for (const consumer of CONSUMERS) {
  const dir = makeConsumer(consumer.name, consumer.deps);
  const tfjs = installedVersion(dir, '@tensorflow/tfjs');
  const row = { consumer: consumer.name, tfjs };

  // One tfjs-core: every package in the tree resolves the consumer's copy.
  const cores = new Set(
    run(npm, ['ls', '@tensorflow/tfjs-core', '--all', '--parseable'], { cwd: dir })
      .split('\n')
      .filter((line) => line.trim() !== ''),
  );
  assert.equal(cores.size, 1, `expected one tfjs-core, found:\n${[...cores].join('\n')}`);
  assert.ok(
    !existsSync(join(dir, 'node_modules/@tensorflow/tfjs-node')),
    'tfjs-node was installed',
  );
  row.tfjsCore = 'one copy';

  cpSync(join(repoRoot, 'test/package/consumer'), dir, { recursive: true });
  cpSync(join(dir, 'types/usage.ts'), join(dir, 'types/usage.mts'));
  cpSync(join(dir, 'types/usage.ts'), join(dir, 'types/usage.cts'));
  const env = { ...process.env, TFJS_JD_BACKEND: '' };
  for (const [format, script] of [
    ['cjs', 'check.cjs'],
    ['esm', 'check.mjs'],
  ]) {
    const child = spawnSync(process.execPath, [script, consumer.backend], {
      cwd: dir,
      env,
      encoding: 'utf8',
    });
    assert.equal(
      child.status,
      0,
      `${consumer.name} ${script} failed:\n${child.stdout}\n${child.stderr}`,
    );
    // A second tfjs copy shows itself by re-registering every kernel.
    assert.ok(
      !/already registered/.test(child.stderr + child.stdout),
      `${script}: kernels registered twice`,
    );
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1));
    assert.equal(result.tfjs, tfjs);
    row[format] =
      `ok on ${result.backend}, losses ${result.losses[0].map((l) => l.toFixed(3)).join('/')} → ${result.losses[1].map((l) => l.toFixed(3)).join('/')}`;
  }
  for (const resolution of ['node16', 'bundler']) {
    run(process.execPath, [tsc, '-p', join(dir, `types/tsconfig.${resolution}.json`)], {
      cwd: dir,
    });
    row[`ts ${resolution}`] = 'ok';
  }
  results.push(row);
}
console.table(results);
console.log(`package test passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
