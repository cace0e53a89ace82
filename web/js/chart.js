// A small SVG line chart of values over time (blood pressure: systolic
// and diastolic; weight). The same values are always given as a table
// beside it, so that nothing is only in the picture.
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// points: [{t: ms, …}] in time order; series: [[key, css class], …]; the
// vertical axis spans at least [floor, ceil].
export function lineChart(points, series, title, floor, ceil) {
  const W = 640, H = 260, L = 40, R = 10, T = 14, B = 28;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(el('title', {}, title));
  if (points.length === 0) return svg;
  const t0 = points[0].t, t1 = points[points.length - 1].t || t0 + 1;
  const values = points.flatMap((p) => series.map(([k]) => p[k]));
  const lo = Math.floor(Math.min(floor, ...values)), hi = Math.ceil(Math.max(ceil, ...values));
  const range = hi - lo, step = range > 100 ? 20 : range > 40 ? 10 : range > 10 ? 5 : 1;
  const x = (t) => L + ((t - t0) / Math.max(1, t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  svg.append(el('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' }));
  svg.append(el('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' }));
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) {
    svg.append(el('text', { x: 4, y: y(v) + 4 }, String(v)));
  }
  svg.append(el('text', { x: L, y: H - 8 }, new Date(t0).toLocaleDateString()));
  svg.append(el('text', { x: W - R - 70, y: H - 8 }, new Date(t1).toLocaleDateString()));
  for (const [key, cls] of series) {
    const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
    svg.append(el('path', { d, class: cls }));
    for (const p of points) svg.append(el('circle', { cx: x(p.t).toFixed(1), cy: y(p[key]).toFixed(1), r: 3, class: cls }));
  }
  return svg;
}

export function bpChart(points, title) {
  return lineChart(points, [['sys', 'sys'], ['dia', 'dia']], title, 60, 160);
}
