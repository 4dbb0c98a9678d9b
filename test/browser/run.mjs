// The browser test (`npm run test:browser`): a consumer page, bundled by esbuild (ESM, platform
// browser) from a consumer project with the packed tfjs-jd, tfjs and tfjs-backend-wasm, served
// from 127.0.0.1 and run in headless Chromium (puppeteer-core; Debian's chromium) on cpu, webgl
// (SwiftShader) and wasm, then with useFastestBackend() choosing. Each run must make both losses
// go down, with no error on the page. Also prints the minified size of the README example bundled
// with and without tfjs-jd. The server, Chromium and the error collection are harness.mjs's,
// shared with the live page's test (site/test.ts), which `npm run test:browser` runs next.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { installedVersion, makeConsumer, repoRoot } from '../package/consumer.mjs';
import { chromiumPath, collectPageErrors, launchChromium, startStaticServer } from './harness.mjs';

const started = Date.now();
const dir = makeConsumer('newest', ['@tensorflow/tfjs@^4', '@tensorflow/tfjs-backend-wasm@^4']);
cpSync(join(repoRoot, 'test/browser/page.js'), join(dir, 'page.js'));

async function bundle(entry, outfile, minify) {
  const result = await build({
    entryPoints: [join(dir, entry)],
    outfile: join(dir, outfile),
    absWorkingDir: dir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // ES2022: the README example awaits the backend choice at the top level of its module.
    target: 'es2022',
    minify,
    write: true,
    metafile: true,
    logLevel: 'error',
  });
  const size = statSync(join(dir, outfile)).size;
  return {
    size,
    gzip: gzipSync(readFileSync(join(dir, outfile))).length,
    metafile: result.metafile,
  };
}

// Bundle sizes: the README's first example (taken from README.md) against the same on tfjs alone.
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const example = /## A first example\n[^`]*```ts\n([\s\S]*?)```/.exec(readme);
assert.ok(example, 'README.md has no "A first example" section with a ```ts block');
writeFileSync(join(dir, 'readme_example.ts'), example[1]);
cpSync(
  join(repoRoot, 'test/browser/readme_without_tfjs_jd.ts'),
  join(dir, 'readme_without_tfjs_jd.ts'),
);
const withJd = await bundle('readme_example.ts', 'out/readme_example.js', true);
const without = await bundle('readme_without_tfjs_jd.ts', 'out/readme_without_tfjs_jd.js', true);
const kB = (n) => `${(n / 1000).toFixed(1)} kB`;
const added = withJd.size - without.size;
console.log(
  `README example, minified: ${kB(withJd.size)} with tfjs-jd, ${kB(without.size)} without; ` +
    `tfjs-jd adds ${kB(added)} (gzip: ${kB(withJd.gzip)} against ${kB(without.gzip)}, +${kB(withJd.gzip - without.gzip)})`,
);
const packagesOf = (metafile) =>
  new Set(Object.keys(metafile.inputs).map((f) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(f)?.[1]));
const baselinePackages = packagesOf(without.metafile);
const extra = [...packagesOf(withJd.metafile)].filter((p) => !baselinePackages.has(p));
assert.deepEqual(
  extra.sort(),
  ['quadprog', 'tfjs-jd'],
  'tfjs-jd brings packages into the bundle besides itself and quadprog',
);
const inputs = Object.keys(withJd.metafile.inputs);
assert.ok(
  !inputs.some((f) => /tfjs-jd\/dist\/cjs\//.test(f)),
  'the bundle took the CommonJS build',
);
assert.ok(
  added <= 150_000,
  `tfjs-jd adds ${kB(added)} to the README example; the target is at most 150 kB`,
);

// The test page.
await bundle('page.js', 'out/page.js', false);
writeFileSync(
  join(dir, 'out/index.html'),
  '<!doctype html><meta charset="utf-8"><title>tfjs-jd</title><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>\n',
);
const wasmDir = join(dir, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
const { origin, close } = await startStaticServer({
  root: join(dir, 'out'),
  mounts: { '/wasm/': wasmDir },
});
const executablePath = chromiumPath();
const browser = await launchChromium();

async function runPage(backend) {
  const page = await browser.newPage();
  const errors = collectPageErrors(page, origin);
  await page.goto(`${origin}/?backend=${backend}`);
  await page.waitForFunction(() => window.__result !== undefined, { timeout: 180_000 });
  const result = await page.evaluate(() => window.__result);
  await page.close();
  assert.equal(result.error, undefined, `${backend}: ${result.error}\n${errors.join('\n')}`);
  assert.deepEqual(errors, [], `${backend}: errors on the page`);
  return result;
}

function checkTraining(label, result) {
  const first = result.history[0];
  const last = result.history.at(-1);
  for (const i of [0, 1]) {
    assert.ok(
      last[i] < first[i],
      `${label}: loss ${i + 1} did not go down (${first[i]} → ${last[i]})`,
    );
  }
  assert.deepEqual(result.engine.shape, [5, 5], `${label}: the Engine's Gramian`);
  assert.equal(result.engine.gradients, result.engine.weights, `${label}: a gradient per weight`);
  assert.equal(result.hasProcess, false, `${label}: the page has a process object`);
  return `${first.map((l) => l.toFixed(3)).join('/')} → ${last.map((l) => l.toFixed(3)).join('/')}`;
}

const rows = [];
try {
  for (const backend of ['cpu', 'webgl', 'wasm']) {
    const result = await runPage(backend);
    assert.equal(result.backend, backend);
    assert.equal(result.choice.backend, backend);
    if (backend === 'wasm') {
      assert.ok(result.kernelFixes, 'wasm: the kernel fixes are not installed');
      assert.ok(result.rowProducts, 'wasm: the row-product loops did not link to its memory');
    }
    rows.push({ page: backend, backend: result.backend, losses: checkTraining(backend, result) });
  }
  const fastest = await runPage('fastest');
  assert.equal(fastest.choice.returned, fastest.backend);
  assert.ok(
    ['webgpu', 'webgl'].includes(fastest.backend),
    `useFastestBackend() chose ${fastest.backend} although webgl works`,
  );
  const passedOver = fastest.choice.tried
    .filter((t) => t.outcome !== 'used')
    .map((t) => `${t.backend} ${t.outcome}: ${t.reason}`);
  rows.push({
    page: 'useFastestBackend()',
    backend: fastest.backend,
    losses: checkTraining('fastest', fastest),
  });
  console.table(rows);
  if (passedOver.length > 0)
    console.log(`useFastestBackend() passed over: ${passedOver.join('; ')}`);
  console.log(`tfjs ${installedVersion(dir, '@tensorflow/tfjs')}, ${executablePath}`);
} finally {
  await browser.close();
  await close();
}
console.log(`browser test passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
