// A small SVG line chart of values over time (blood pressure: systolic
// and diastolic; weight, glucose, steps), with gridlines at round values,
// reference lines (home blood pressure 135/85) and each point's date and
// value as its tooltip. The same values are always given as a table beside
// it, so that nothing is only in the picture. Our own ~80 lines rather
// than a charting library: it is an accessible image (role=img, a title,
// a title per point), draws under the strict CSP with no inline style,
// and prints; a library would add more than the charts need.
import { day } from './time.js';

const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// A round step giving about five gridlines over range: 1, 2 or 5 × 10^k.
function niceStep(range) {
  const raw = Math.max(range, 1e-9) / 5, p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
}

const fmt = (v) => (Math.abs(v) >= 10000 ? `${Math.round(v / 1000)}k` : String(Math.round(v * 10) / 10));

// points: [{t: ms, when: text, …}] in time order; series: [[key, css class],
// …]; the vertical axis spans at least [floor, ceil]; refs: [[value, label]].
export function lineChart(points, series, title, floor, ceil, refs = []) {
  const W = 360, H = 200, L = 40, R = 8, T = 10, B = 24;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(el('title', {}, title));
  if (points.length === 0) return svg;
  const t0 = points[0].t, t1 = points[points.length - 1].t || t0 + 1;
  const values = points.flatMap((p) => series.map(([k]) => p[k]));
  const step = niceStep(Math.max(ceil, ...values) - Math.min(floor, ...values));
  const lo = Math.floor(Math.min(floor, ...values) / step) * step, hi = Math.ceil(Math.max(ceil, ...values) / step) * step;
  const x = (t) => L + ((t - t0) / Math.max(1, t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - (v - lo) / Math.max(hi - lo, 1e-9)) * (H - T - B);
  for (let v = lo; v <= hi + step / 2; v += step) {
    svg.append(el('line', { x1: L, y1: y(v), x2: W - R, y2: y(v), class: 'grid' }));
    svg.append(el('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end' }, fmt(v)));
  }
  for (const [v, label] of refs) {
    if (v < lo || v > hi) continue;
    svg.append(el('line', { x1: L, y1: y(v), x2: W - R, y2: y(v), class: 'ref' }));
    svg.append(el('text', { x: W - R - 2, y: y(v) - 3, 'text-anchor': 'end', class: 'ref' }, label));
  }
  svg.append(el('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }));
  svg.append(el('text', { x: L, y: H - 6 }, day(t0)));
  svg.append(el('text', { x: W - R, y: H - 6, 'text-anchor': 'end' }, day(t1)));
  for (const [key, cls] of series) {
    const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
    svg.append(el('path', { d, class: cls }));
    for (const p of points) {
      const dot = el('circle', { cx: x(p.t).toFixed(1), cy: y(p[key]).toFixed(1), r: 3, class: cls });
      dot.append(el('title', {}, `${p.when}: ${series.map(([k]) => p[k]).join(' / ')}`));
      svg.append(dot);
    }
  }
  return svg;
}

// Home blood pressure, with the Japanese Society of Hypertension's line
// for hypertension at home (135/85).
export function bpChart(points, title) {
  return lineChart(points, [['sys', 'sys'], ['dia', 'dia']], title, 60, 160, [[135, '135'], [85, '85']]);
}
