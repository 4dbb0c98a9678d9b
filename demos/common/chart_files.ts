/** Writes the demos' charts (see `charts.ts`) to SVG files in Node. */
import * as fs from 'fs';
import * as path from 'path';
import { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './charts';

/**
 * Renders `spec` to an SVG file (creating its folder) and returns the path.
 *
 * @example
 * ```ts
 * await writeChartSvg('demos/out/loss.svg', chartPanels([chart1, chart2], { columns: 2 }));
 * ```
 */
export async function writeChartSvg(file: string, spec: TopLevelSpec): Promise<string> {
  const svg = await renderSvg(spec);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, svg);
  return file;
}
