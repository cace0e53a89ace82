// A QR code drawn from the modules the server computed (libqrencode): one
// path, with the four-module quiet zone scanners expect. An image with a
// name; the text it holds is always given beside it too.
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

export function qrImage(qr, label) {
  const quiet = 4, n = qr.size + 2 * quiet;
  let d = '';
  qr.rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) if (row[x] === '1') d += `M${x + quiet} ${y + quiet}h1v1h-1z`;
  });
  const image = svg('svg', { viewBox: `0 0 ${n} ${n}`, class: 'qr', role: 'img', 'aria-label': label });
  image.append(svg('rect', { width: n, height: n, fill: '#fff' }), svg('path', { d, fill: '#000' }));
  return image;
}
