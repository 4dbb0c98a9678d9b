/**
 * The page: picks the backend (`?backend=webgl|wasm|cpu`, webgl by default, cpu if it fails),
 * trains UPGrad, Mean and MGDA side by side with live charts, and mounts the aggregator explorer.
 * `?steps=N` sets the number of steps; when they are done the page writes its JSON summary into
 * `<pre id="summary">` and sets `document.body.dataset.status = "done"` (a browser test waits
 * for it).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as vega from 'vega';
import { TopLevelSpec } from 'vega-lite';
import { compile } from 'vega-lite';
import { chartPanels, LineChart } from '../demos/common/charts';
import { mountExplorer } from './explorer';
import { makeData, makeRuns, MethodRun, summary } from './train';

const params = new URLSearchParams(location.search);
const STEPS = Math.max(1, Number(params.get('steps') ?? 400) || 400);
/** Charts are redrawn every this many steps (each redraw builds new Vega views). */
const REDRAW_EVERY = 20;

async function chooseBackend(): Promise<string> {
  const wanted = params.get('backend') ?? 'webgl';
  if (wanted === 'wasm') setWasmPaths('./');
  try {
    if (await tf.setBackend(wanted)) {
      await tf.ready();
      return tf.getBackend();
    }
  } catch {
    // Falls through to cpu below, and the page says so.
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return `cpu (${wanted} unavailable)`;
}

const views = new Map<string, vega.View>();

/** Renders `spec` as SVG into the element `id`, replacing what was there. */
async function show(id: string, spec: TopLevelSpec): Promise<void> {
  views.get(id)?.finalize();
  const view = new vega.View(vega.parse(compile(spec).spec), {
    renderer: 'svg',
    container: `#${id}`,
  });
  views.set(id, view);
  await view.runAsync();
}

const steps = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function drawCharts(runs: MethodRun[], backend: string): Promise<void> {
  const n = runs[0].record.losses[0].length;
  const losses: LineChart[] = [0, 1].map((task) => ({
    title: `Task ${task + 1} loss`,
    subtitle: task === 0 ? 'targets x·a + x₀²' : 'targets 10·x·(c − a): 100× the scale',
    xLabel: 'step',
    yLabel: 'loss (mean squared error, log scale)',
    integerX: true,
    logY: true,
    points: false,
    width: 380,
    height: 220,
    xValues: steps(n),
    series: runs.map((r) => ({ name: r.record.name, values: r.record.losses[task] })),
  }));
  await show('loss-charts', chartPanels(losses, { title: `Training on ${backend}`, columns: 2 }));
  const upgrad = runs[0].record;
  const monitors: LineChart[] = [
    {
      title: "UPGrad's weights",
      subtitle: 'the Gramian weighting of each task, per step',
      xLabel: 'step',
      yLabel: 'weight (dimensionless)',
      integerX: true,
      points: false,
      width: 380,
      height: 200,
      xValues: steps(upgrad.weights[0].length),
      series: [
        { name: 'task 1', values: upgrad.weights[0] },
        { name: 'task 2', values: upgrad.weights[1] },
      ],
    },
    {
      title: 'cos(update, mean gradient)',
      subtitle: "1: the update is the mean gradient's direction (Mean always is)",
      xLabel: 'step',
      yLabel: 'cosine similarity',
      integerX: true,
      points: false,
      width: 380,
      height: 200,
      xValues: steps(n),
      series: runs.map((r) => ({ name: r.record.name, values: r.record.cosine })),
    },
  ];
  await show('monitor-charts', chartPanels(monitors, { columns: 2 }));
}

async function main(): Promise<void> {
  tf.env().set('PROD', true);
  const backend = await chooseBackend();
  document.getElementById('backend')!.textContent = backend;
  mountExplorer();
  const progress = document.getElementById('progress')!;
  const out = document.getElementById('summary')!;
  let generation = 0;

  const train = async () => {
    const mine = ++generation;
    document.body.dataset.status = 'running';
    out.textContent = '';
    const data = makeData();
    const runs = makeRuns(data);
    try {
      for (let step = 1; step <= STEPS; step++) {
        for (const run of runs) await run.step();
        if (mine !== generation) return; // restarted
        if (step % REDRAW_EVERY === 0 || step === STEPS) {
          progress.textContent = `Step ${step} of ${STEPS}.`;
          await drawCharts(runs, backend);
          await tf.nextFrame();
        }
      }
      out.textContent = JSON.stringify(summary(runs, backend, STEPS), null, 2);
      document.body.dataset.status = 'done';
    } finally {
      runs.forEach((r) => r.dispose());
      tf.dispose(data);
    }
  };
  document.getElementById('restart')!.addEventListener('click', () => void train());
  await train();
}

main().catch((error: unknown) => {
  document.body.dataset.status = 'error';
  document.getElementById('summary')!.textContent =
    `Error: ${String(error)}\n${(error as Error)?.stack ?? ''}`;
  console.error(error);
});
