/**
 * The live page's browser test: builds site/dist/, serves it on 127.0.0.1, loads
 * `index.html?steps=N` in headless Chromium (webgl through SwiftShader; `SITE_BACKEND=cpu` for
 * the cpu backend), waits for the page to finish, checks its JSON summary and its aggregator
 * explorer, and saves a screenshot to site/dist/screenshot.png (ignored by git).
 *
 * Run: npm run test:site   (CHROMIUM=/path/to/chrome to use another browser; SITE_STEPS=N)
 */
import * as path from 'path';
import * as assert from 'assert/strict';
import puppeteer from 'puppeteer-core';
import { buildSite, DIST } from './build';
import { startServer } from './serve';

const STEPS = Number(process.env.SITE_STEPS ?? 60);
const BACKEND = process.env.SITE_BACKEND ?? 'webgl';
const METHODS = ['UPGrad', 'Mean', 'MGDA'];

interface MethodSummary {
  backend: string;
  initialLosses: number[];
  finalLosses: number[];
  msPerStep: number;
  finalCosine: number;
  finalWeights?: number[];
}

async function main(): Promise<void> {
  const started = performance.now();
  await buildSite();
  const { server, url } = await startServer(DIST, 0);
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      // WebGL without a GPU: Chromium's software renderer.
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
    ],
  });
  const errors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('request', (request) => {
      // The page must load nothing from anywhere but this server.
      if (!request.url().startsWith(url) && !request.url().startsWith('data:')) {
        errors.push(`request outside the site: ${request.url()}`);
      }
    });
    await page.setViewport({ width: 1200, height: 900 });
    const target = `${url}index.html?steps=${STEPS}&backend=${BACKEND}`;
    await page.goto(target);
    await page.waitForFunction(
      () => ['done', 'error'].includes(document.body.dataset.status ?? ''),
      { timeout: 240_000, polling: 250 },
    );
    const status = await page.evaluate(() => document.body.dataset.status);
    const text = await page.$eval('#summary', (el) => el.textContent ?? '');
    assert.equal(status, 'done', `the page ended in status ${status}: ${text}`);
    const summary = JSON.parse(text) as {
      backend: string;
      steps: number;
      methods: Record<string, MethodSummary>;
    };
    assert.equal(summary.steps, STEPS);
    assert.ok(summary.backend.startsWith(BACKEND) || summary.backend.startsWith('cpu'));
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
    }
    // Mean's update is the mean gradient; UPGrad's weights are non-negative.
    assert.ok(Math.abs(summary.methods.Mean.finalCosine - 1) < 1e-3);
    assert.ok(summary.methods.UPGrad.finalWeights!.every((w) => w >= 0));
    // All three methods start from the same weights and data.
    for (const name of METHODS) {
      assert.deepEqual(summary.methods[name].initialLosses, summary.methods.UPGrad.initialLosses);
    }

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
    const seconds = (performance.now() - started) / 1000;
    console.log(JSON.stringify(summary, null, 2));
    console.log(
      `site test passed: ${STEPS} steps on ${summary.backend}, screenshot ${path.relative(process.cwd(), screenshot)}, ${seconds.toFixed(1)} s`,
    );
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
