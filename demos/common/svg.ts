/**
 * A small dependency-free SVG line chart for the demos' curves: axes with round-number ticks, a
 * light grid, one colored polyline per series and a legend. Several charts can share one file as
 * panels of a grid.
 */
import * as fs from 'fs';
import * as path from 'path';

/** One curve of a chart. Non-finite values leave a gap in the curve instead of a spike. */
export interface Series {
  name: string;
  values: number[];
}

/** What one chart (one panel) shows. */
export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /**
   * The x coordinate of each value index (shared by all series), e.g. `[1, 2, 3]` for epochs that
   * start at 1. Defaults to `0, 1, 2, …`.
   */
  xValues?: number[];
  /** Fixes the bottom of the y axis (e.g. 0 for accuracies) instead of fitting it to the data. */
  yMin?: number;
  /** Fixes the top of the y axis (e.g. 1 for accuracies) instead of fitting it to the data. */
  yMax?: number;
  /** Plot log10 of the values (for losses spanning decades). */
  logY?: boolean;
}

/** Options of the multi-panel writer. */
export interface ChartsLayout {
  /** Panels per row; defaults to all panels in one row. */
  columns?: number;
}

// Matplotlib's "tab10" palette: distinguishable, and familiar to readers of ML papers.
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];
const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = { left: 70, right: 170, top: 40, bottom: 50 };

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Numbers printed with at most 4 significant digits and no float noise (0.30000000000000004). */
function formatTick(value: number): string {
  return `${+value.toPrecision(4)}`;
}

/** Round-number ticks (steps of 1, 2 or 5 times a power of ten) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const rough = (max - min) / count;
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = ([1, 2, 5, 10].find((k) => k * power >= rough) ?? 10) * power;
  const ticks: number[] = [];
  // Integer multiples of the step avoid the drift that repeated addition accumulates.
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) {
    ticks.push(+(k * step).toPrecision(12));
  }
  return ticks;
}

function finiteExtent(values: number[]): [number, number] | null {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return null;
  return [Math.min(...finite), Math.max(...finite)];
}

/** The SVG elements of one chart, placed with its top-left corner at (offsetX, offsetY). */
function chartSvg(chart: LineChart, offsetX: number, offsetY: number): string {
  const transform = (v: number) => (chart.logY ? Math.log10(v) : v);
  const length = Math.max(1, ...chart.series.map((s) => s.values.length));
  const xs = chart.xValues ?? Array.from({ length }, (_, i) => i);
  const [xMin, xMax] = finiteExtent(xs.slice(0, length)) ?? [0, 1];
  const dataExtent = finiteExtent(chart.series.flatMap((s) => s.values.map(transform)));
  let yMin = chart.yMin !== undefined ? transform(chart.yMin) : (dataExtent?.[0] ?? 0);
  let yMax = chart.yMax !== undefined ? transform(chart.yMax) : (dataExtent?.[1] ?? 1);
  if (!(yMax > yMin)) [yMin, yMax] = [yMin - 1, yMin + 1];
  const xSpan = xMax > xMin ? xMax - xMin : 1;

  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const left = offsetX + MARGIN.left;
  const top = offsetY + MARGIN.top;
  const px = (x: number) => left + ((x - xMin) / xSpan) * plotWidth;
  const py = (t: number) => top + (1 - (t - yMin) / (yMax - yMin)) * plotHeight;

  const parts: string[] = [
    `<text x="${left + plotWidth / 2}" y="${offsetY + 24}" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  for (const t of niceTicks(yMin, yMax)) {
    const y = py(t).toFixed(1);
    const label = chart.logY ? `1e${formatTick(t)}` : formatTick(t);
    parts.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>`,
      `<text x="${left - 6}" y="${+y + 4}" text-anchor="end" font-size="11">${label}</text>`,
    );
  }
  for (const t of niceTicks(xMin, xMax)) {
    // Indices and epochs are integers: a tick at 2.5 would point between two points.
    if (chart.xValues === undefined && !Number.isInteger(t)) continue;
    const x = px(t).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${top + plotHeight}" y2="${top + plotHeight + 4}" stroke="#444"/>`,
      `<text x="${x}" y="${top + plotHeight + 16}" text-anchor="middle" font-size="11">${formatTick(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444"/>`,
    `<text x="${left + plotWidth / 2}" y="${offsetY + HEIGHT - 10}" text-anchor="middle" font-size="12">${escapeXml(chart.xLabel)}</text>`,
    `<text transform="translate(${offsetX + 16},${top + plotHeight / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(chart.yLabel)}${chart.logY ? ' (log scale)' : ''}</text>`,
  );
  chart.series.forEach((series, k) => {
    const color = COLORS[k % COLORS.length];
    // A path with a fresh "M" after each non-finite value, so gaps stay gaps.
    let d = '';
    let pen = 'M';
    series.values.forEach((v, i) => {
      const t = transform(v);
      if (!Number.isFinite(t) || !Number.isFinite(xs[i])) {
        pen = 'M';
        return;
      }
      const clamped = Math.min(Math.max(t, yMin), yMax);
      d += `${pen}${px(xs[i]).toFixed(1)},${py(clamped).toFixed(1)} `;
      pen = 'L';
    });
    parts.push(
      `<path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"><title>${escapeXml(series.name)}</title></path>`,
    );
    const legendY = top + 14 + k * 18;
    const legendX = offsetX + WIDTH - MARGIN.right + 12;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 18}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${color}" stroke-width="3"/>`,
      `<text x="${legendX + 24}" y="${legendY}" font-size="12">${escapeXml(series.name)}</text>`,
    );
  });
  return parts.join('\n');
}

/** The whole SVG document holding `charts` as panels, `columns` per row. */
export function chartsSvg(charts: LineChart[], { columns }: ChartsLayout = {}): string {
  const perRow = Math.max(1, Math.min(columns ?? charts.length, charts.length));
  const rows = Math.max(1, Math.ceil(charts.length / perRow));
  const width = WIDTH * perRow;
  const height = HEIGHT * rows;
  const body = charts
    .map((chart, i) => chartSvg(chart, (i % perRow) * WIDTH, Math.floor(i / perRow) * HEIGHT))
    .join('\n');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`
  );
}

/**
 * Writes the charts as panels of one SVG file (creating its folder) and returns the path.
 *
 * @example
 * ```ts
 * writeChartsSvg('demos/out/losses.svg', [
 *   { title: 'Task 1', xLabel: 'epoch', yLabel: 'loss', series: [{ name: 'UPGrad', values: [1, 0.5] }] },
 *   { title: 'Task 2', xLabel: 'epoch', yLabel: 'loss', series: [{ name: 'UPGrad', values: [2, 1] }] },
 * ], { columns: 2 });
 * ```
 */
export function writeChartsSvg(file: string, charts: LineChart[], layout?: ChartsLayout): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, chartsSvg(charts, layout));
  return file;
}

/**
 * Writes one line chart to an SVG file (creating its folder) and returns the path.
 *
 * @example
 * ```ts
 * writeLineChartSvg('demos/out/loss.svg', {
 *   title: 'Training loss',
 *   xLabel: 'epoch',
 *   yLabel: 'loss',
 *   series: [{ name: 'UPGrad', values: [2.3, 1.1, 0.6] }, { name: 'Mean', values: [2.3, 1.4, 0.9] }],
 * });
 * ```
 */
export function writeLineChartSvg(file: string, chart: LineChart): string {
  return writeChartsSvg(file, [chart]);
}
