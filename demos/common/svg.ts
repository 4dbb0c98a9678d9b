/** A small dependency-free SVG line chart for the demos' curves. */
import * as fs from 'fs';
import * as path from 'path';

export interface Series {
  name: string;
  values: number[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Plot log10 of the values (for losses spanning decades). */
  logY?: boolean;
}

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
];
const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = { left: 70, right: 170, top: 40, bottom: 50 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(min: number, max: number, count = 5): number[] {
  if (min === max) return [min];
  const step = Math.pow(10, Math.floor(Math.log10((max - min) / count)));
  const multiplier = [1, 2, 5, 10].find((k) => (max - min) / (k * step) <= count) ?? 10;
  const nice = multiplier * step;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / nice) * nice; t <= max + 1e-12; t += nice)
    ticks.push(+t.toPrecision(12));
  return ticks;
}

/** The SVG text of one chart, placed at (x, y) within a larger picture. */
function chartSvg(chart: LineChart, offsetX: number, offsetY: number): string {
  const transform = (v: number) => (chart.logY ? Math.log10(Math.max(v, 1e-300)) : v);
  const all = chart.series.flatMap((s) => s.values.filter(Number.isFinite).map(transform));
  const length = Math.max(2, ...chart.series.map((s) => s.values.length));
  let yMin = Math.min(...all);
  let yMax = Math.max(...all);
  if (!Number.isFinite(yMin)) [yMin, yMax] = [0, 1];
  if (yMin === yMax) [yMin, yMax] = [yMin - 1, yMax + 1];
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (i: number) => offsetX + MARGIN.left + (i / (length - 1)) * plotWidth;
  const y = (v: number) =>
    offsetY + MARGIN.top + (1 - (transform(v) - yMin) / (yMax - yMin)) * plotHeight;
  const parts: string[] = [];
  parts.push(
    `<text x="${offsetX + WIDTH / 2 - MARGIN.right / 2}" y="${offsetY + 24}" text-anchor="middle" font-size="16" font-weight="bold">${escape(chart.title)}</text>`,
    `<rect x="${offsetX + MARGIN.left}" y="${offsetY + MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444"/>`,
  );
  for (const t of niceTicks(yMin, yMax)) {
    const ty = offsetY + MARGIN.top + (1 - (t - yMin) / (yMax - yMin)) * plotHeight;
    const label = chart.logY ? `1e${t}` : `${+t.toPrecision(4)}`;
    parts.push(
      `<line x1="${offsetX + MARGIN.left}" x2="${offsetX + MARGIN.left + plotWidth}" y1="${ty}" y2="${ty}" stroke="#ddd"/>`,
      `<text x="${offsetX + MARGIN.left - 6}" y="${ty + 4}" text-anchor="end" font-size="11">${label}</text>`,
    );
  }
  for (const t of niceTicks(0, length - 1)) {
    if (!Number.isInteger(t)) continue;
    parts.push(
      `<text x="${x(t)}" y="${offsetY + MARGIN.top + plotHeight + 16}" text-anchor="middle" font-size="11">${t}</text>`,
    );
  }
  parts.push(
    `<text x="${offsetX + MARGIN.left + plotWidth / 2}" y="${offsetY + HEIGHT - 10}" text-anchor="middle" font-size="12">${escape(chart.xLabel)}</text>`,
    `<text transform="translate(${offsetX + 16},${offsetY + MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escape(chart.yLabel)}${chart.logY ? ' (log)' : ''}</text>`,
  );
  chart.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const points = s.values
      .map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null))
      .filter((p) => p !== null)
      .join(' ');
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`);
    const ly = offsetY + MARGIN.top + 14 + k * 18;
    const lx = offsetX + WIDTH - MARGIN.right + 12;
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="3"/>`,
      `<text x="${lx + 24}" y="${ly}" font-size="12">${escape(s.name)}</text>`,
    );
  });
  return parts.join('\n');
}

/** Writes the charts side by side into one SVG file (creating its folder) and returns the path. */
export function writeChartsSvg(file: string, charts: LineChart[]): string {
  const width = WIDTH * charts.length;
  const body = charts.map((chart, i) => chartSvg(chart, i * WIDTH, 0)).join('\n');
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" font-family="sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, svg);
  return file;
}
