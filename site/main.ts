/**
 * The page: picks the backend with tfjs-jd's `chooseFastestBackend` (webgl, else wasm, else cpu;
 * `?backend=webgl|wasm|cpu` forces one, and a forced one that does not start is an error), says
 * which one and what was tried, trains UPGrad, Mean and MGDA side by side with live charts, and
 * mounts the aggregator explorer.
 * `?steps=N` sets the number of steps; when they are done the page writes its JSON summary into
 * `<pre id="summary">` and sets `document.body.dataset.status = "done"` (a browser test waits
 * for it).
 */
import * as tf from '@tensorflow/tfjs';
import { BackendChoice, BackendName, chooseFastestBackend } from 'tfjs-jd';
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

/** The page's candidates, fastest first: WebGPU is left out, its backend is not bundled. */
const CANDIDATES: BackendName[] = ['webgl', 'wasm', 'cpu'];

/**
 * Sets the backend through the library, as an app would: the wasm backend's module is a dynamic
 * import the bundler resolves (run only when wasm is tried) and its .wasm files are served next to
 * the page. On wasm the library installs its kernel fixes.
 */
async function chooseBackend(): Promise<BackendChoice> {
  const wanted = params.get('backend')?.toLowerCase();
  if (wanted !== undefined && !CANDIDATES.includes(wanted as BackendName)) {
    throw new Error(`?backend= must be one of ${CANDIDATES.join(', ')}; got '${wanted}'.`);
  }
  return chooseFastestBackend({
    backends: wanted === undefined ? CANDIDATES : [wanted as BackendName],
    wasmPaths: './',
    modules: { wasm: () => import('@tensorflow/tfjs-backend-wasm') },
  });
}

/** For the page: the backend, how it was picked, and what was tried before it. */
function describeChoice(choice: BackendChoice): string {
  const how = params.has('backend')
    ? `forced by ?backend=${choice.backend}`
    : `chooseFastestBackend over ${CANDIDATES.join(' → ')}`;
  const tried = choice.tried.map((t) =>
    t.outcome === 'used' ? `${t.backend}: used` : `${t.backend}: ${t.outcome}, ${t.reason}`,
  );
  return `${choice.backend} (${how}; tried ${tried.join('; ')})`;
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
  const choice = await chooseBackend();
  const backend = choice.backend;
  document.getElementById('backend')!.textContent = describeChoice(choice);
  // Which backend kernels are the library's: wasm gets its convolution-gradient fixes.
  const kernelFixes = tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined;
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
      out.textContent = JSON.stringify(
        { ...summary(runs, backend, STEPS), tried: choice.tried, wasmKernelFixes: kernelFixes },
        null,
        2,
      );
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
