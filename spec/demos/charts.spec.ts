import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  chartPanels,
  chartSpec,
  LineChart,
  mergeIdentical,
  renderSvg,
} from '../../demos/common/charts';
import { writeChartSvg } from '../../demos/common/chart_files';
import {
  basicMtlFigure,
  EpochLosses,
  multiMnistFigure,
  MultiMnistRun,
  scalarizationFigure,
} from '../../demos/common/figures';

/** The text of every `<text>` element and of each line (`<tspan>`) of one, entities decoded. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<(?:text|tspan)[^>]*>([^<]+)<\/(?:text|tspan)>/g)].map((m) =>
    m[1]
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}

/** The aria labels Vega gives each legend, e.g. "Symbol legend for … with 3 values: A, B, C". */
function legends(svg: string): string[] {
  return [...svg.matchAll(/aria-roledescription="legend" aria-label="([^"]*)"/g)].map((m) => m[1]);
}

/**
 * Checks what every chart must show: the title, both axis titles, and each series' name in the
 * legend of its panel.
 */
function expectChart(
  svg: string,
  charts: { title: string; x: string; y: string; series: string[] }[],
) {
  const all = texts(svg);
  for (const chart of charts) {
    expect(all).toContain(chart.title);
    expect(all).toContain(chart.x);
    expect(all).toContain(chart.y);
    for (const name of chart.series) expect(all).toContain(name);
  }
  expect(svg).not.toMatch(/NaN|Infinity/);
}

const decreasing = (from: number, n: number, rate: number) =>
  Array.from({ length: n }, (_, i) => from * Math.exp(-rate * i) + 0.5);

describe('lineChartSpec / renderSvg', () => {
  const chart: LineChart = {
    title: 'Loss <task 1> & "friends"',
    xLabel: 'epoch',
    yLabel: 'loss (MSE)',
    integerX: true,
    series: [
      { name: 'UPGrad', values: [3, 2, 1, 0.5] },
      { name: 'Mean & co', values: [3, 2.5, NaN, 1] },
      { name: 'MGDA', values: [2, 2, 2, 2] },
    ],
  };

  it('renders the title, both axis titles and every series name, escaped', async () => {
    const svg = await renderSvg(chartSpec(chart));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Loss &lt;task 1&gt; &amp; &quot;friends&quot;');
    expectChart(svg, [
      { title: chart.title, x: 'epoch', y: 'loss (MSE)', series: ['UPGrad', 'Mean & co', 'MGDA'] },
    ]);
    expect(legends(svg)[0]).toMatch(/with 3 values: UPGrad, Mean &amp; co, MGDA/);
  });

  it('leaves non-finite values out instead of drawing them', () => {
    const spec = chartSpec(chart) as unknown as { concat: { data: { values: unknown[] } }[] };
    // 4 + 3 + 4 finite values.
    expect(spec.concat[0].data.values).toHaveLength(11);
  });

  it('draws short runs with points (a single epoch is visible) and long ones as lines', async () => {
    const one = {
      ...chart,
      series: [
        { name: 'A', values: [0.8] },
        { name: 'B', values: [0.7] },
      ],
    };
    const oneSpec = chartSpec(one) as unknown as { concat: { mark: { point?: unknown } }[] };
    expect(oneSpec.concat[0].mark.point).toBeDefined();
    const svg = await renderSvg(chartSpec(one));
    // Vega draws the points of a line with `point` as a symbol mark: one path per point.
    expect(svg).toMatch(/aria-roledescription="point"/);
    const long = { ...chart, series: [{ name: 'A', values: decreasing(5, 300, 0.01) }] };
    const longSpec = chartSpec(long) as unknown as { concat: { mark: { point?: unknown } }[] };
    expect(longSpec.concat[0].mark.point).toBeUndefined();
  });

  it('labels a log axis with plain numbers at 1, 2 and 5 times powers of ten', async () => {
    const svg = await renderSvg(
      chartSpec({
        title: 'log',
        xLabel: 'step',
        yLabel: 'loss',
        logY: true,
        integerX: true,
        series: [{ name: 's', values: [1000, 100, 10, 1, 0.1] }],
      }),
    );
    const labels = texts(svg);
    for (const tick of ['1,000', '100', '10', '1', '0.1', '500', '0.2']) {
      expect(labels.some((t) => t === tick || t === tick.replace(',', ''))).toBe(true);
    }
    expect(labels.join(' ')).not.toMatch(/1e|0\.5\b.*0\.5/);
  });

  it('puts the legend in the corner the data leaves empty', () => {
    const legendOf = (values: number[]) =>
      (
        chartSpec({
          title: 't',
          xLabel: 'x',
          yLabel: 'y',
          series: [{ name: 's', values }],
        }) as unknown as {
          concat: { encoding: { color: { legend: { orient: string } } } }[];
        }
      ).concat[0].encoding.color.legend.orient;
    // A falling curve fills the top left and bottom right; a rising one the other two.
    expect(['top-right', 'bottom-left']).toContain(legendOf(decreasing(10, 30, 0.3)));
    expect(['top-left', 'bottom-right']).toContain(legendOf(decreasing(10, 30, 0.3).reverse()));
  });

  it('gives one integer tick per epoch for a one-epoch run', async () => {
    const svg = await renderSvg(
      chartSpec({
        title: 't',
        xLabel: 'epoch',
        yLabel: 'acc',
        integerX: true,
        xValues: [1],
        series: [{ name: 'A', values: [0.5] }],
      }),
    );
    const labels = texts(svg);
    // One "1" on the x axis, and no fractional epoch such as 0.5 or 1.5 beside it.
    expect(labels.filter((t) => t === '1')).toHaveLength(1);
    expect(labels).not.toContain('1.5');
    expect(labels).not.toContain('0');
  });
});

describe('mergeIdentical', () => {
  it('merges series equal to float32 rounding and keeps different ones', () => {
    const a = [1, 0.5, 0.25];
    const merged = mergeIdentical([
      { name: 'A', values: a },
      { name: 'B', values: a.map((v) => v * (1 + 5e-8)) },
      { name: 'C', values: [1, 0.5, 0.26] },
    ]);
    expect(merged.map((s) => s.name)).toEqual(['A = B', 'C']);
  });
});

describe('the demos’ figures', () => {
  const epochs = (n: number, start: [number, number], rate: number): EpochLosses =>
    Array.from(
      { length: n + 1 },
      (_, i) =>
        [start[0] * Math.exp(-rate * i) + 0.8, start[1] * Math.exp(-rate * i) + 1] as [
          number,
          number,
        ],
    );

  it('basic_mtl: two panels, the identical UPGrad runs drawn once and named together', async () => {
    const torchjd = epochs(25, [4.5, 2.7], 0.4);
    const svg = await renderSvg(
      basicMtlFigure(
        { torchjd, tfjs: torchjd.map(([a, b]) => [a, b]), summed: epochs(25, [4.4, 2.8], 0.3) },
        'cpu',
      ),
    );
    const series = ['UPGrad (mtlBackward) = UPGrad (mtlGrads)', 'GD on loss1 + loss2'];
    expectChart(svg, [
      { title: 'Task 1 loss', x: 'epoch', y: 'loss (mean squared error)', series },
      { title: 'Task 2 loss', x: 'epoch', y: 'loss (mean squared error)', series },
    ]);
    expect(texts(svg)).toContain('Two-task regression, 25 epochs of SGD 0.1 (backend cpu)');
    // Epoch 0 is stated in the subtitle, not drawn: the x axis starts at 1.
    expect(texts(svg).some((t) => t.includes('before training: 5.300'))).toBe(true);
    expect(legends(svg).every((l) => l.includes('with 2 values'))).toBe(true);
  });

  it('scalarization: log-scale panels with every method and the ranges over the last steps', async () => {
    const results = ['Mean', 'UW', 'UPGrad'].map((name, k) => ({
      name,
      curves: [decreasing(10, 600, 0.005 * (k + 1)), decreasing(1000, 600, 0.004 * (k + 1))] as [
        number[],
        number[],
      ],
    }));
    const svg = await renderSvg(
      scalarizationFigure(results, {
        tail: 50,
        escape: 'UPGrad leaves the plateau at step 289',
        backend: 'wasm',
        learningRate: 0.01,
      }),
    );
    const x = 'step (full-batch Adam, lr 0.01)';
    const y = 'loss (mean squared error, log scale)';
    expectChart(svg, [
      { title: 'Task 1 loss', x, y, series: ['Mean', 'UW', 'UPGrad'] },
      { title: 'Task 2 loss', x, y, series: ['Mean', 'UW', 'UPGrad'] },
    ]);
    const all = texts(svg);
    expect(all).toContain('UPGrad leaves the plateau at step 289');
    expect(all.some((t) => t.startsWith('over the last 50 steps: Mean '))).toBe(true);
    // The x axis reaches the last step.
    expect(all).toContain('600');
  });

  const run = (label: string, epochCount: number, shift: number): MultiMnistRun => ({
    label,
    epochs: Array.from({ length: epochCount + 1 }, (_, e) => ({
      epoch: e,
      trainLoss: e === 0 ? [NaN, NaN] : [2 / e + 0.3 + shift, 2.4 / e + 0.3 + shift],
      testAccuracy: e === 0 ? [0.1, 0.09] : [0.9 - 0.1 / e - shift, 0.88 - 0.1 / e - shift],
    })),
  });
  const settings = {
    trainPairs: 10000,
    testPairs: 2000,
    epochs: 4,
    batchSize: 64,
    learningRate: 0.002,
    seed: 0,
  };
  const panels = (
    series: string[],
    lossAxis = 'training loss (cross-entropy, nats, log scale)',
  ) => [
    { title: 'Left digit: test accuracy', x: 'epoch', y: 'test accuracy (%)', series },
    { title: 'Right digit: test accuracy', x: 'epoch', y: 'test accuracy (%)', series },
    {
      title: 'Left digit: training loss',
      x: 'epoch',
      y: lossAxis,
      series,
    },
    {
      title: 'Right digit: training loss',
      x: 'epoch',
      y: lossAxis,
      series,
    },
  ];

  it('MultiMNIST: four panels, every method, epoch 0 stated rather than stretching the axis', async () => {
    const runs = [run('UPGrad', 4, 0), run('Mean', 4, 0.01), run('MGDA', 4, 0.02)];
    const spec = multiMnistFigure(runs, settings, 'wasm');
    const svg = await renderSvg(spec);
    expectChart(svg, panels(['UPGrad', 'Mean', 'MGDA']));
    expect(texts(svg)).toContain('before training (epoch 0): UPGrad 10.0%, Mean 10.0%, MGDA 10.0%');
    // The accuracy panels' data start at epoch 1, so their range is that of the trained network.
    const data = (spec as unknown as { concat: { data: { values: { x: number; y: number }[] } }[] })
      .concat[0].data.values;
    expect(Math.min(...data.map((d) => d.x))).toBe(1);
    expect(Math.min(...data.map((d) => d.y))).toBeGreaterThan(70);
  });

  it('MultiMNIST --quick: one epoch drawn as one point per method, one integer epoch tick', async () => {
    const runs = [run('UPGrad', 1, 0), run('Mean', 1, 0.01)];
    const svg = await renderSvg(multiMnistFigure(runs, { ...settings, epochs: 1 }, 'wasm'));
    // One epoch's losses differ by little: a linear axis.
    expectChart(svg, panels(['UPGrad', 'Mean'], 'training loss (cross-entropy, nats)'));
    expect(texts(svg)).toContain(
      'MultiMNIST: 10000 train pairs, 1 epoch, batch 64, Adam 0.002, seed 0 (backend wasm)',
    );
    // Two points per panel, four panels; plus two legend symbols per panel.
    expect((svg.match(/aria-roledescription="point"/g) ?? []).length).toBe(8);
    // Loss panels are not empty: each has its points even though epoch 0 has no training loss.
    expect(texts(svg).filter((t) => t === '1')).toHaveLength(4);
  });
});

describe('writeChartSvg', () => {
  it('creates the missing folder and writes the rendered SVG', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-jd-charts-'));
    try {
      const file = path.join(dir, 'a', 'b', 'chart.svg');
      const spec = chartPanels([
        { title: 'a', xLabel: 'x', yLabel: 'y', series: [{ name: 's', values: [1, 2] }] },
        { title: 'b', xLabel: 'x', yLabel: 'y', series: [{ name: 't', values: [2, 1] }] },
      ]);
      expect(await writeChartSvg(file, spec)).toBe(file);
      const svg = fs.readFileSync(file, 'utf8');
      expectChart(svg, [
        { title: 'a', x: 'x', y: 'y', series: ['s'] },
        { title: 'b', x: 'x', y: 'y', series: ['t'] },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
