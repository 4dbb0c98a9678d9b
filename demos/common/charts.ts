/**
 * The demos' charts as Vega-Lite specs, rendered to SVG by Vega (in Node and in the browser page,
 * from the same specs). This module touches no file system, so the site bundles it as is;
 * `chart_files.ts` writes the SVGs in Node.
 */
import * as vega from 'vega';
import { compile, TopLevelSpec } from 'vega-lite';

/** One curve of a chart: its y values, at the chart's x values. Non-finite values are left out. */
export interface Series {
  name: string;
  values: number[];
}

/** Where a legend sits inside the plot's frame. */
export type LegendCorner = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';

/** What one line chart (one panel) shows. */
export interface LineChart {
  title: string;
  /** Lines under the title: what the chart leaves out, or what the reader should notice. */
  subtitle?: string | string[];
  /** Axis titles, with units (`"epoch"`, `"loss (MSE)"`). */
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** The x value of each index (shared by all series). Defaults to `0, 1, 2, …`. */
  xValues?: number[];
  /** Integer x values (epochs, steps): ticks only at integers. */
  integerX?: boolean;
  /** A logarithmic y axis (losses spanning decades). */
  logY?: boolean;
  /** Fixes the y range instead of fitting it to the data (e.g. `[0, 1]`). */
  yDomain?: [number, number];
  /** Where the legend sits, inside the frame. Default: the corner that covers the fewest points. */
  legend?: LegendCorner;
  /**
   * Draw a point at every value. Default: when no series has more than 40 values, so short runs
   * (a single epoch among them) are visible.
   */
  points?: boolean;
  /** Plot size in pixels. Defaults 420 × 260. */
  width?: number;
  height?: number;
}

/** Layout of several panels in one picture. */
export interface PanelsLayout {
  /** The picture's own title, above the panels. */
  title?: string;
  /** Panels per row. Defaults to all in one row. */
  columns?: number;
}

/** Tableau's ten colors (Vega's default scheme), in a fixed order so a method keeps its color. */
export const PALETTE = [
  '#4c78a8',
  '#f58518',
  '#54a24b',
  '#e45756',
  '#72b7b2',
  '#b279a2',
  '#eeca3b',
  '#9d755d',
  '#ff9da6',
  '#bab0ac',
];

/** Point shapes, paired with the colors, so overlapping points of two series stay apart. */
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down'];

/**
 * Series whose values agree to `relativeTolerance` (by default float32 rounding: the same
 * computation done two ways) are merged into one, named `A = B`: a curve drawn exactly over
 * another would hide it.
 *
 * @example
 * ```ts
 * mergeIdentical([{ name: 'A', values: [1, 2] }, { name: 'B', values: [1, 2] }]);
 * // [{ name: 'A = B', values: [1, 2] }]
 * ```
 */
export function mergeIdentical(series: Series[], relativeTolerance = 1e-6): Series[] {
  const merged: Series[] = [];
  for (const s of series) {
    const twin = merged.find(
      (m) =>
        m.values.length === s.values.length &&
        m.values.every((v, i) => {
          const w = s.values[i];
          if (!Number.isFinite(v) || !Number.isFinite(w)) return Object.is(v, w);
          return Math.abs(v - w) <= relativeTolerance * Math.max(1e-300, Math.abs(v), Math.abs(w));
        }),
    );
    if (twin) twin.name = `${twin.name} = ${s.name}`;
    else merged.push({ name: s.name, values: [...s.values] });
  }
  return merged;
}

/** The chart's data in long form, one row per finite point (and positive one on a log axis). */
function rows(chart: LineChart): { x: number; y: number; series: string }[] {
  const out: { x: number; y: number; series: string }[] = [];
  for (const s of chart.series) {
    s.values.forEach((y, i) => {
      const x = chart.xValues?.[i] ?? i;
      if (!Number.isFinite(x) || !Number.isFinite(y) || (chart.logY && y <= 0)) return;
      out.push({ x, y, series: s.name });
    });
  }
  return out;
}

/** Bounds that pad a degenerate x range (one epoch) so its point is not drawn on the frame. */
function xDomain(data: { x: number }[]): [number, number] | undefined {
  if (data.length === 0) return [0, 1];
  const xs = data.map((d) => d.x);
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  return lo === hi ? [lo - 0.5, hi + 0.5] : undefined;
}

/**
 * The corner whose legend-sized box holds the fewest data points (on a tie, the first of
 * top-right, bottom-left, top-left, bottom-right), the box estimated from the labels' lengths.
 */
function emptiestCorner(
  chart: LineChart,
  data: { x: number; y: number }[],
  width: number,
  height: number,
): LegendCorner {
  const corners: LegendCorner[] = ['top-right', 'bottom-left', 'top-left', 'bottom-right'];
  if (data.length === 0) return corners[0];
  const ty = (v: number) => (chart.logY ? Math.log10(v) : v);
  const xs = data.map((d) => d.x);
  const ys = data.map((d) => ty(d.y));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = chart.yDomain ? chart.yDomain.map(ty) : [Math.min(...ys), Math.max(...ys)];
  const longest = Math.max(...chart.series.map((s) => s.name.length));
  // About 6.4 px per character at 11 px, plus symbol and padding; 17 px per entry.
  const boxW = Math.min(1, (36 + 6.4 * longest) / width);
  const boxH = Math.min(1, (14 + 17 * chart.series.length) / height);
  const count = (corner: LegendCorner) =>
    data.filter((d, i) => {
      const u = x1 > x0 ? (d.x - x0) / (x1 - x0) : 0.5;
      const v = y1 > y0 ? (ys[i] - y0) / (y1 - y0) : 0.5;
      const inX = corner.endsWith('left') ? u <= boxW + 0.03 : u >= 1 - boxW - 0.03;
      const inY = corner.startsWith('top') ? v >= 1 - boxH - 0.08 : v <= boxH + 0.08;
      return inX && inY;
    }).length;
  return corners.reduce((best, c) => (count(c) < count(best) ? c : best));
}

/** Integer ticks: every integer when there are few (so one epoch gets one tick), else round ones. */
function integerAxis(data: { x: number }[]): Record<string, unknown> {
  const xs = data.map((d) => d.x);
  if (xs.length === 0) return { tickMinStep: 1, format: 'd' };
  const [lo, hi] = [Math.ceil(Math.min(...xs)), Math.floor(Math.max(...xs))];
  if (hi - lo <= 12) {
    return { values: Array.from({ length: hi - lo + 1 }, (_, i) => lo + i), format: 'd' };
  }
  return { tickMinStep: 1, format: 'd' };
}

/**
 * The Vega-Lite spec of one line chart, without the top-level `$schema` (so it can be a panel).
 *
 * @example
 * ```ts
 * const spec = lineChartSpec({
 *   title: 'Task 1 loss',
 *   xLabel: 'epoch',
 *   yLabel: 'loss (MSE)',
 *   integerX: true,
 *   series: [{ name: 'UPGrad', values: [2.3, 1.1, 0.6] }],
 * });
 * ```
 */
export function lineChartSpec(chart: LineChart): Record<string, unknown> {
  const data = rows(chart);
  const names = chart.series.map((s) => s.name);
  const longest = Math.max(0, ...chart.series.map((s) => s.values.length));
  const points = chart.points ?? longest <= 40;
  // A lone point per series must be seen at a glance.
  const pointSize = longest <= 2 ? 110 : 45;
  const domainX = xDomain(data);
  const width = chart.width ?? 420;
  const height = chart.height ?? 260;
  const legendCorner = chart.legend ?? emptiestCorner(chart, data, width, height);
  const legend = {
    orient: legendCorner,
    title: null,
    fillColor: 'rgba(255,255,255,0.9)',
    strokeColor: '#bbbbbb',
    padding: 6,
    offset: 6,
    labelLimit: 400,
    labelFontSize: 11,
    symbolStrokeWidth: 2,
  };
  const integerTicks = chart.integerX ? integerAxis(data) : {};
  const ys = data.map((d) => d.y);
  const [yLo, yHi] = [Math.min(...ys), Math.max(...ys)];
  // A flat chart (one value) has no range to fit: give it one around the value.
  const flat =
    chart.yDomain === undefined && data.length > 0 && yLo === yHi
      ? chart.logY
        ? [yLo / 2, yLo * 2]
        : [yLo - (Math.abs(yLo) * 0.1 || 1), yLo + (Math.abs(yLo) * 0.1 || 1)]
      : undefined;
  const yDomain = chart.yDomain ?? flat;
  const y: Record<string, unknown> = {
    field: 'y',
    type: 'quantitative',
    title: chart.yLabel,
    scale: {
      type: chart.logY ? 'log' : 'linear',
      ...(chart.logY ? {} : { zero: false }),
      nice: false,
      // Keeps the extreme points off the frame, where they would be cut in half.
      padding: 10,
      ...(yDomain ? { domain: yDomain } : {}),
    },
    // A log axis spanning decades labels 1, 2, 5 × 10ᵏ with plain numbers, the other ticks keep
    // their grid lines only; one spanning less than a decade and a half labels every tick.
    axis: chart.logY
      ? yHi / yLo < 30
        ? { format: '~g', labelOverlap: true }
        : {
            labelExpr:
              "indexof(['1','2','5'], slice(format(datum.value, '.0e'), 0, 1)) >= 0 ? format(datum.value, '~g') : ''",
            labelOverlap: false,
          }
      : {},
  };
  return {
    title: {
      text: chart.title,
      ...(chart.subtitle !== undefined ? { subtitle: chart.subtitle } : {}),
      anchor: 'start',
      fontSize: 14,
      subtitleFontSize: 11,
      subtitleColor: '#555555',
    },
    width,
    height,
    data: { values: data },
    mark: {
      type: 'line',
      strokeWidth: 2,
      clip: true,
      ...(points ? { point: { filled: true, size: pointSize } } : {}),
    },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: chart.xLabel,
        scale: {
          zero: false,
          nice: false,
          ...(domainX ? { domain: domainX } : { padding: points ? 10 : 0 }),
        },
        axis: integerTicks,
      },
      y,
      color: {
        field: 'series',
        type: 'nominal',
        scale: { domain: names, range: names.map((_, i) => PALETTE[i % PALETTE.length]) },
        legend,
      },
      ...(points
        ? {
            shape: {
              field: 'series',
              type: 'nominal',
              scale: { domain: names, range: names.map((_, i) => SHAPES[i % SHAPES.length]) },
              legend,
            },
          }
        : {}),
    },
  };
}

/**
 * One picture of several line charts, `columns` per row, each with its own legend inside its frame
 * and the same color for the same series name.
 *
 * @example
 * ```ts
 * const spec = chartPanels([chartA, chartB], { title: 'Losses', columns: 2 });
 * const svg = await renderSvg(spec);
 * ```
 */
export function chartPanels(charts: LineChart[], layout: PanelsLayout = {}): TopLevelSpec {
  const columns = Math.max(1, Math.min(layout.columns ?? charts.length, charts.length));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(layout.title !== undefined
      ? { title: { text: layout.title, fontSize: 16, anchor: 'start' } }
      : {}),
    background: 'white',
    padding: 12,
    columns,
    concat: charts.map(lineChartSpec),
    spacing: 28,
    resolve: {
      scale: { color: 'independent', shape: 'independent', x: 'independent', y: 'independent' },
    },
    config: {
      font: 'DejaVu Sans, Verdana, sans-serif',
      axis: { titleFontSize: 12, labelFontSize: 11 },
    },
  } as unknown as TopLevelSpec;
}

/** The picture of a single chart. */
export function chartSpec(chart: LineChart): TopLevelSpec {
  return chartPanels([chart]);
}

/** Approximate advance widths of DejaVu Sans, in em, for text measured without a canvas. */
function charWidth(c: string): number {
  if (" .,:;'|!ijlI()[]".includes(c)) return 0.32;
  if ('mwMW'.includes(c)) return 0.92;
  if (/[A-Z]/.test(c)) return 0.7;
  if (/[0-9]/.test(c)) return 0.64;
  if ('frt'.includes(c)) return 0.42;
  return 0.6;
}

// Without a canvas (Node), Vega estimates every character at 0.8 em: legends and titles come out
// a third too wide. This estimate follows the font the SVG names instead.
type Measure = (item: Record<string, unknown>, text: unknown) => number;
// vega-scenegraph's text measurer; vega re-exports it but its typings do not declare it.
const textMetrics = (vega as unknown as { textMetrics: { width: Measure; estimateWidth: Measure } })
  .textMetrics;
if (textMetrics.width === textMetrics.estimateWidth) {
  textMetrics.width = (item, text) => {
    const value = String(text ?? item.text ?? '');
    const size = Number(item.fontSize ?? 11);
    const bold = /bold|[6-9]00/.test(String(item.fontWeight ?? ''));
    let em = 0;
    for (const c of value) em += charWidth(c);
    return em * size * (bold ? 1.08 : 1);
  };
}

/**
 * Renders a Vega-Lite spec to an SVG document, in Node or in a browser.
 *
 * @example
 * ```ts
 * const svg = await renderSvg(chartSpec({ title: 't', xLabel: 'x', yLabel: 'y', series: [] }));
 * ```
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
