/**
 * The aggregator explorer: two or three gradients in the plane, dragged by their tips; every
 * aggregator's output for the matrix of those rows, drawn as an arrow and listed with its inner
 * products with each gradient; the gradients' dual cone shaded.
 */
import { PALETTE } from '../demos/common/charts';
import { aggregateAll, dualConePolygon, Vec } from './explorer_math';

/** Pixels per unit of the plane. */
const SCALE = 55;
const SVG_NS = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attributes: Record<string, string | number>,
  parent?: Element,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  parent?.appendChild(node);
  return node;
}

/** An arrow from the origin to `v` (plane units), with its head. */
function arrow(parent: Element, v: Vec, color: string, width: number, label?: string) {
  const [x, y] = [v[0] * SCALE, -v[1] * SCALE];
  const length = Math.hypot(x, y);
  const group = el('g', {}, parent);
  el('line', { x1: 0, y1: 0, x2: x, y2: y, stroke: color, 'stroke-width': width }, group);
  if (length > 1) {
    const [ux, uy] = [x / length, y / length];
    const head = 10;
    const points = [
      [x, y],
      [x - head * ux - (head / 2) * uy, y - head * uy + (head / 2) * ux],
      [x - head * ux + (head / 2) * uy, y - head * uy - (head / 2) * ux],
    ];
    el('polygon', { points: points.map((p) => p.join(',')).join(' '), fill: color }, group);
  }
  if (label) {
    const text = el(
      'text',
      { x: x + 8, y: y - 8, 'font-size': 14, fill: color, 'font-weight': 'bold' },
      group,
    );
    text.textContent = label;
  }
  return group;
}

/** Mounts the explorer on the page's `#plane` and `#explorer-table`. */
export function mountExplorer(): void {
  const svg = document.getElementById('plane') as unknown as SVGSVGElement;
  const body = document.querySelector('#explorer-table tbody')!;
  const third = document.getElementById('third') as HTMLInputElement;
  // g₂ conflicts with g₁ and g₃ (their mean has a negative product with it); the dual cone of the
  // three is a narrow wedge.
  const gradients: Vec[] = [
    [3.0, 0.2],
    [-1.2, 1.0],
    [1.6, -0.5],
  ];
  const colorOf = (i: number) => PALETTE[i % PALETTE.length];
  let scheduled = false;

  const draw = () => {
    scheduled = false;
    const rows = third.checked ? gradients : gradients.slice(0, 2);
    svg.replaceChildren();
    for (let k = -3; k <= 3; k++) {
      const p = k * SCALE;
      el('line', { x1: -210, x2: 210, y1: p, y2: p, stroke: k === 0 ? '#999' : '#eee' }, svg);
      el('line', { y1: -210, y2: 210, x1: p, x2: p, stroke: k === 0 ? '#999' : '#eee' }, svg);
    }
    const cone = dualConePolygon(rows, 300 / SCALE);
    if (cone) {
      const points = cone.map(([x, y]) => `${x * SCALE},${-y * SCALE}`).join(' ');
      el(
        'polygon',
        { points, fill: '#54a24b', 'fill-opacity': 0.15, stroke: '#54a24b', 'stroke-opacity': 0.5 },
        svg,
      );
    }
    if (!cone) {
      const note = el('text', { x: -200, y: 200, 'font-size': 13, fill: '#b03030' }, svg);
      note.textContent = 'dual cone: only the origin (no direction helps every task)';
    }
    const results = aggregateAll(rows);
    results.forEach((r, i) => {
      if (r.output) arrow(svg, r.output, colorOf(i), 2.5).setAttribute('data-aggregator', r.name);
    });
    rows.forEach((g, i) => {
      arrow(svg, g, '#222', 2, `g${'₁₂₃'[i]}`);
      const handle = el(
        'circle',
        {
          cx: g[0] * SCALE,
          cy: -g[1] * SCALE,
          r: 9,
          fill: '#222',
          'fill-opacity': 0.25,
          class: 'handle',
        },
        svg,
      );
      handle.dataset.index = String(i);
    });
    const fmt = (x: number) => x.toFixed(2);
    body.replaceChildren(
      ...results.map((r, i) => {
        const tr = document.createElement('tr');
        tr.dataset.aggregator = r.name;
        tr.dataset.inDualCone = String(r.inDualCone);
        const cells = [
          `<span class="swatch" style="background:${colorOf(i)}"></span>${r.name}`,
          r.output ? `(${fmt(r.output[0])}, ${fmt(r.output[1])})` : `error: ${r.error}`,
          ...[0, 1, 2].map((k) => (r.products[k] === undefined ? '' : fmt(r.products[k]))),
          r.output
            ? r.inDualCone
              ? '<span class="yes">yes</span>'
              : '<span class="no">no</span>'
            : '',
        ];
        tr.innerHTML = cells.map((c) => `<td>${c}</td>`).join('');
        return tr;
      }),
    );
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(draw);
    }
  };
  // Listeners on the plane itself: a redraw replaces the handles, which would lose a capture.
  let dragging: number | null = null;
  svg.addEventListener('pointerdown', (event) => {
    const index = (event.target as SVGElement).dataset?.index;
    if (index === undefined) return;
    dragging = Number(index);
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener('pointermove', (event) => {
    if (dragging === null) return;
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(
      svg.getScreenCTM()!.inverse(),
    );
    gradients[dragging] = [point.x / SCALE, -point.y / SCALE];
    schedule();
  });
  const stop = () => (dragging = null);
  svg.addEventListener('pointerup', stop);
  svg.addEventListener('pointercancel', stop);
  third.addEventListener('change', schedule);
  draw();
}
