/**
 * The live page's browser test: builds site/dist/ (against the package's ESM build, which
 * `npm run build` makes), serves it on 127.0.0.1, and in headless Chromium (test/browser/harness.mjs:
 * webgl through SwiftShader):
 * - loads `index.html?steps=N` with the page's own backend choice (webgl expected; `SITE_BACKEND`
 *   forces one with `&backend=`), waits for it to finish, checks its JSON summary, its charts and
 *   its aggregator explorer, and saves a screenshot to site/dist/screenshot.png (ignored by git);
 * - loads it again with `?backend=wasm` for a few steps: the library's backend choice must have
 *   installed its wasm kernel fixes, and the losses must go down there too.
 *
 * Run: npm run test:site   (CHROMIUM=/path/to/chrome for another browser; SITE_STEPS=N)
 */
import * as path from 'path';
import * as assert from 'assert/strict';
import type { Browser } from 'puppeteer-core';
import { collectPageErrors, launchChromium, startStaticServer } from '../test/browser/harness.mjs';
import { buildSite, DIST } from './build';

const STEPS = Number(process.env.SITE_STEPS ?? 60);
const BACKEND = process.env.SITE_BACKEND;
const WASM_STEPS = 5;
const METHODS = ['UPGrad', 'Mean', 'MGDA'];

interface MethodSummary {
  backend: string;
  initialLosses: number[];
  finalLosses: number[];
  msPerStep: number;
  finalCosine: number;
  finalWeights?: number[];
}

interface Summary {
  backend: string;
  steps: number;
  methods: Record<string, MethodSummary>;
  tried: { backend: string; outcome: string; reason?: string }[];
  wasmKernelFixes: boolean;
}

/** Loads the page with `query`, waits until it is done, and returns its summary. */
async function loadPage(browser: Browser, origin: string, query: string) {
  const page = await browser.newPage();
  const pageErrors = collectPageErrors(page, origin);
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(`${origin}/index.html?${query}`);
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.status ?? ''), {
    timeout: 240_000,
    polling: 250,
  });
  const status = await page.evaluate(() => document.body.dataset.status);
  const text = await page.$eval('#summary', (el) => el.textContent ?? '');
  assert.equal(status, 'done', `${query}: the page ended in status ${status}: ${text}`);
  const summary = JSON.parse(text) as Summary;
  const shown = await page.$eval('#backend', (el) => el.textContent ?? '');
  return { page, summary, shown, pageErrors };
}

/** Every method's losses finite and lower than at the start, on the backend the page chose. */
function checkTraining(summary: Summary, steps: number): void {
  assert.equal(summary.steps, steps);
  assert.deepEqual(Object.keys(summary.methods), METHODS);
  for (const name of METHODS) {
    const m = summary.methods[name];
    assert.equal(m.backend, summary.backend);
    assert.equal(m.finalLosses.length, 2);
    m.finalLosses.forEach((loss, task) => {
      assert.ok(Number.isFinite(loss), `${name} task ${task + 1}: loss ${loss}`);
      // Every method makes progress on both tasks in the first steps.
      assert.ok(
        loss < m.initialLosses[task],
        `${name} task ${task + 1}: ${m.initialLosses[task]} → ${loss}`,
      );
    });
    assert.ok(
      m.msPerStep > 0 && Number.isFinite(m.msPerStep),
      `${name}: ${m.msPerStep} ms per step`,
    );
    assert.ok(Math.abs(m.finalCosine) <= 1 + 1e-5, `${name}: cosine ${m.finalCosine}`);
    // All three methods start from the same weights and data.
    assert.deepEqual(m.initialLosses, summary.methods.UPGrad.initialLosses);
  }
  // The library's report of its choice: the last candidate tried is the one in use.
  assert.deepEqual(summary.tried.at(-1), { backend: summary.backend, outcome: 'used' });
}

async function main(): Promise<void> {
  const started = performance.now();
  await buildSite();
  const built = performance.now();
  const { origin, close } = await startStaticServer({ root: DIST });
  const browser = await launchChromium();
  try {
    const query = `steps=${STEPS}${BACKEND === undefined ? '' : `&backend=${BACKEND}`}`;
    const { page, summary, shown, pageErrors: errors } = await loadPage(browser, origin, query);
    checkTraining(summary, STEPS);
    if (BACKEND === undefined) {
      // The page's default: webgl first, and it works in Chromium (SwiftShader).
      assert.equal(summary.backend, 'webgl', `the page chose ${summary.backend}: ${shown}`);
      assert.deepEqual(summary.tried, [{ backend: 'webgl', outcome: 'used' }]);
    } else {
      assert.equal(summary.backend, BACKEND);
    }
    assert.ok(
      shown.startsWith(`${summary.backend} (`) && shown.includes(`${summary.backend}: used`),
      `the page shows the backend as: ${shown}`,
    );
    // Mean's update is the mean gradient; UPGrad's weights are non-negative.
    assert.ok(Math.abs(summary.methods.Mean.finalCosine - 1) < 1e-3);
    assert.ok(summary.methods.UPGrad.finalWeights!.every((w) => w >= 0));

    const charts = await page.$$eval('#loss-charts svg, #monitor-charts svg', (svgs) =>
      svgs.map((svg) => svg.textContent ?? ''),
    );
    assert.equal(charts.length, 2);
    for (const title of ['Task 1 loss', 'Task 2 loss']) assert.ok(charts[0].includes(title));
    for (const title of ["UPGrad's weights", 'cos(update, mean gradient)']) {
      assert.ok(charts[1].includes(title));
    }

    // The explorer: every aggregator has an output; those that project onto the dual cone of the
    // gradients land in it.
    const rows = await page.$$eval('#explorer-table tbody tr', (trs) =>
      trs.map((tr) => ({
        name: (tr as HTMLElement).dataset.aggregator!,
        inCone: (tr as HTMLElement).dataset.inDualCone === 'true',
        text: tr.textContent ?? '',
      })),
    );
    assert.ok(rows.length >= 8, `explorer rows: ${rows.length}`);
    for (const row of rows) assert.ok(!row.text.includes('error'), row.text);
    for (const name of ['UPGrad', 'DualProj', 'MGDA']) {
      assert.ok(rows.find((r) => r.name === name)?.inCone, `${name} outside the dual cone`);
    }
    const screenshot = path.join(DIST, 'screenshot.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    // Dragging g₁ onto g₂'s side changes the outputs.
    const before = rows.map((r) => r.text).join('|');
    const handle = await page.$('#plane circle[data-index="0"]');
    await handle!.scrollIntoView();
    const box = (await handle!.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x - 120, box.y - 60, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(
      (old) =>
        [...document.querySelectorAll('#explorer-table tbody tr')]
          .map((tr) => tr.textContent)
          .join('|') !== old,
      { timeout: 10_000 },
      before,
    );
    assert.deepEqual(errors, []);
    const trained = performance.now();
    await page.close();

    // wasm through the library's choice: its kernel fixes are installed.
    const wasm = await loadPage(browser, origin, `steps=${WASM_STEPS}&backend=wasm`);
    checkTraining(wasm.summary, WASM_STEPS);
    assert.equal(wasm.summary.backend, 'wasm');
    assert.equal(wasm.summary.wasmKernelFixes, true, 'wasm: the kernel fixes are not installed');
    assert.equal(wasm.shown, 'wasm (forced by ?backend=wasm; tried wasm: used)');
    assert.deepEqual(wasm.pageErrors, []);
    await wasm.page.close();

    const s = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
    const f = (xs: number[]) => xs.map((x) => x.toPrecision(4)).join(' / ');
    for (const [name, m] of Object.entries(summary.methods)) {
      console.log(
        `  ${name}: losses ${f(m.initialLosses)} → ${f(m.finalLosses)}, ` +
          `${m.msPerStep.toFixed(1)} ms per step on ${m.backend}`,
      );
    }
    console.log(
      `site test passed: ${STEPS} steps on ${summary.backend} (${shown}), ${WASM_STEPS} on wasm ` +
        `(kernel fixes in); screenshot ${path.relative(process.cwd(), screenshot)}; ` +
        `build ${s(started, built)} s, ${summary.backend} page ${s(built, trained)} s, ` +
        `wasm page ${s(trained, performance.now())} s`,
    );
  } finally {
    await browser.close();
    await close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
