import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  chartsSvg,
  LineChart,
  niceTicks,
  writeLineChartSvg,
  writeChartsSvg,
} from '../../demos/common/svg';

/**
 * A strict-enough XML well-formedness check, written here because no XML parser is installed:
 * every tag is syntactically valid with quoted attributes, tags nest properly, there is one root
 * element, and text and attribute values hold no raw `<` and no `&` outside an entity.
 * Returns the element names in document order.
 */
function parseXml(xml: string): string[] {
  const tokens = xml.split(/(<[^>]*>)/).filter((t) => t !== '');
  const stack: string[] = [];
  const names: string[] = [];
  let roots = 0;
  const entityFree = (text: string) => text.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, '');
  for (const token of tokens) {
    if (!token.startsWith('<')) {
      if (/[<&]/.test(entityFree(token))) throw new Error(`bad text: ${token}`);
      if (stack.length === 0 && token.trim() !== '') throw new Error(`text outside root: ${token}`);
      continue;
    }
    const close = /^<\/([A-Za-z][\w:-]*)\s*>$/.exec(token);
    if (close) {
      if (stack.pop() !== close[1]) throw new Error(`mismatched </${close[1]}>`);
      continue;
    }
    const open = /^<([A-Za-z][\w:-]*)((?:\s+[A-Za-z][\w:-]*="[^"]*")*)\s*(\/?)>$/.exec(token);
    if (!open) throw new Error(`malformed tag: ${token}`);
    if (/[<&]/.test(entityFree(open[2]))) throw new Error(`bad attribute: ${token}`);
    const attributeNames = [...open[2].matchAll(/([A-Za-z][\w:-]*)=/g)].map((m) => m[1]);
    if (new Set(attributeNames).size !== attributeNames.length) {
      throw new Error(`duplicate attribute: ${token}`);
    }
    if (stack.length === 0) roots++;
    names.push(open[1]);
    if (open[3] !== '/') stack.push(open[1]);
  }
  if (stack.length !== 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error(`expected one root element, found ${roots}`);
  return names;
}

const count = (names: string[], name: string) => names.filter((n) => n === name).length;

describe('parseXml (the checker itself)', () => {
  it('rejects malformed documents, so the tests below can fail', () => {
    expect(() => parseXml('<svg><g></svg>')).toThrow();
    expect(() => parseXml('<svg><text>a < b</text></svg>')).toThrow();
    expect(() => parseXml('<svg><text>R&D</text></svg>')).toThrow();
    expect(() => parseXml('<svg a=1></svg>')).toThrow();
    expect(() => parseXml('<svg/><svg/>')).toThrow();
    expect(parseXml('<svg><text>a &lt; b</text><g/></svg>')).toEqual(['svg', 'text', 'g']);
  });
});

describe('chartsSvg', () => {
  const chart: LineChart = {
    title: 'Loss <task 1> & "friends"',
    xLabel: 'epoch',
    yLabel: 'loss',
    series: [
      { name: 'UPGrad', values: [3, 2, 1, 0.5] },
      { name: 'Mean & co', values: [3, 2.5, NaN, 1] },
      { name: 'MGDA', values: [2, 2, 2, 2] },
    ],
  };

  it('is well-formed XML with one path per series and escapes special characters', () => {
    const svg = chartsSvg([chart]);
    const names = parseXml(svg);
    expect(names[0]).toBe('svg');
    expect(count(names, 'path')).toBe(3);
    expect(svg).toContain('Loss &lt;task 1&gt; &amp; &quot;friends&quot;');
    expect(svg).toContain('Mean &amp; co');
  });

  it('breaks a curve at a non-finite value instead of drawing through it', () => {
    const d = [...chartsSvg([chart]).matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]);
    // UPGrad: one move then three lines; "Mean & co": the NaN restarts the pen with a second move.
    expect(d[0].match(/M/g)).toHaveLength(1);
    expect(d[0].match(/L/g)).toHaveLength(3);
    expect(d[1].match(/M/g)).toHaveLength(2);
    expect(d[1].match(/L/g)).toHaveLength(1);
  });

  it('places points linearly: the extremes of the data on the plot edges', () => {
    const svg = chartsSvg([
      { title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', values: [0, 10, 5] }] },
    ]);
    const rect =
      /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none"/.exec(svg)!;
    const [left, top, width, height] = rect.slice(1).map(Number);
    const points = /<path d="([^"]*)"/
      .exec(svg)![1]
      .split(/[ML ]+/)
      .filter((p) => p !== '')
      .map((p) => p.split(',').map(Number));
    // By hand: x = left + i/2 · width; y = top + (1 − v/10) · height.
    const expected = [
      [left, top + height],
      [left + width / 2, top],
      [left + width, top + height / 2],
    ];
    points.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(expected[i][0], 0);
      expect(p[1]).toBeCloseTo(expected[i][1], 0);
    });
  });

  it('lays out several panels in a grid of the requested columns', () => {
    const charts = [chart, chart, chart];
    const svg = chartsSvg(charts, { columns: 2 });
    expect(count(parseXml(svg), 'path')).toBe(9);
    // Two panels wide, two rows high (640 × 400 each).
    expect(svg).toMatch(/<svg [^>]*width="1280" height="800"/);
  });

  it('survives empty and constant data without NaN coordinates', () => {
    const svg = chartsSvg([
      { title: 'empty', xLabel: 'x', yLabel: 'y', series: [] },
      { title: 'flat', xLabel: 'x', yLabel: 'y', series: [{ name: 'c', values: [1] }] },
      {
        title: 'log',
        xLabel: 'x',
        yLabel: 'y',
        logY: true,
        series: [{ name: 'l', values: [100, 1, 0.01] }],
      },
    ]);
    parseXml(svg);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg).toContain('1e-2'); // log axis ticks are labelled as powers of ten
  });
});

describe('niceTicks', () => {
  it('gives round steps covering the range', () => {
    // Range 0..1 in ~5 steps: the round step ≥ 0.2 is 0.2.
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    // Range 0.83..0.97: rough step 0.028, round step 0.05, multiples of 0.05 inside.
    expect(niceTicks(0.83, 0.97)).toEqual([0.85, 0.9, 0.95]);
    expect(niceTicks(0, 9)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });
});

describe('writeLineChartSvg / writeChartsSvg', () => {
  it('creates the missing folder and writes a well-formed file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-jd-svg-'));
    try {
      const one = path.join(dir, 'a', 'b', 'one.svg');
      expect(
        writeLineChartSvg(one, {
          title: 'accuracy',
          xLabel: 'epoch',
          yLabel: 'accuracy',
          xValues: [1, 2, 3],
          yMin: 0,
          yMax: 1,
          series: [
            { name: 'left', values: [0.5, 0.8, 0.9] },
            { name: 'right', values: [0.4, 0.7, 0.85] },
          ],
        }),
      ).toBe(one);
      expect(count(parseXml(fs.readFileSync(one, 'utf8')), 'path')).toBe(2);
      const two = path.join(dir, 'c', 'two.svg');
      writeChartsSvg(two, [
        { title: 'a', xLabel: 'x', yLabel: 'y', series: [{ name: 's', values: [1, 2] }] },
        { title: 'b', xLabel: 'x', yLabel: 'y', series: [{ name: 's', values: [2, 1] }] },
      ]);
      expect(count(parseXml(fs.readFileSync(two, 'utf8')), 'path')).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
