// The per-night chart: detections per hour (local noon to noon), stacked per camera, drawn
// as inline SVG from /api/chart. Labels are SVG text nodes set with textContent.
'use strict';

(function () {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 960, H = 320, L = 44, RM = 12, T = 16, B = 40;

  function s(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }

  // A round step for about five grid lines.
  function step(max) {
    const raw = Math.max(1, max) / 5;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return Math.max(1, m * p);
    return p * 10;
  }

  MW.drawChart = function (data) {
    const box = MW.clear(MW.$('chart'));
    const legend = MW.clear(MW.$('chart-legend'));
    const total = data.cameras.reduce((a, c) => a + c.total, 0);
    MW.$('c-total').textContent = total + ' detection' + (total === 1 ? '' : 's') + ' on the night of ' + data.night +
      ' (' + data.timezone + ')';
    const st = step(data.max);
    const top = Math.max(st, Math.ceil(data.max / st) * st);
    const pw = W - L - RM, ph = H - T - B;
    const bw = pw / 24;
    const y = (v) => T + ph - (v / top) * ph;
    const svg = s('svg', {
      viewBox: '0 0 ' + W + ' ' + H, class: 'chart-svg', role: 'img',
      'aria-label': 'detections per hour on the night of ' + data.night,
    });
    svg.append(s('title', {}, 'Detections per hour, night of ' + data.night));
    for (let v = 0; v <= top; v += st) {
      svg.append(s('line', { x1: L, x2: W - RM, y1: y(v), y2: y(v), class: 'grid-line' }));
      svg.append(s('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, v));
    }
    data.hours.forEach((h, i) => {
      if (i % 2 === 0) {
        svg.append(s('text', { x: L + i * bw + bw / 2, y: H - B + 16, 'text-anchor': 'middle', class: 'axis' }, h + 'h'));
      }
    });
    svg.append(s('text', { x: L + pw / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis' },
      'local time (' + data.timezone + '), noon to noon'));
    for (let i = 0; i < 24; i++) {
      let acc = 0;
      data.cameras.forEach((c) => {
        const n = c.counts[i];
        if (!n) return;
        const r = s('rect', {
          x: L + i * bw + 2, width: bw - 4, y: y(acc + n), height: y(acc) - y(acc + n),
          fill: MW.color(MW.cameraIndex(c.camera)), class: 'bar',
        });
        r.dataset.camera = c.camera;
        r.append(s('title', {}, c.camera + ': ' + n + ' at ' + data.hours[i] + ':00'));
        svg.append(r);
        acc += n;
      });
      if (acc) {
        svg.append(s('text', { x: L + i * bw + bw / 2, y: y(acc) - 4, 'text-anchor': 'middle', class: 'bar-total' }, acc));
      }
    }
    svg.append(s('line', { x1: L, x2: W - RM, y1: y(0), y2: y(0), class: 'axis-line' }));
    box.append(svg);
    for (const c of data.cameras) {
      if (!c.total) continue;
      const sw = MW.el('span', { class: 'swatch', 'aria-hidden': 'true' });
      sw.style.background = MW.color(MW.cameraIndex(c.camera));
      legend.append(MW.el('li', {}, sw, c.camera + ' (' + c.total + ')'));
    }
    if (!total) legend.append(MW.el('li', { class: 'muted' }, 'No detections this night.'));
  };

  MW.loadChart = async function () {
    const night = MW.$('c-night').value;
    const label = MW.$('c-hide-not').checked ? 'kept' : '';
    MW.drawChart(await MW.get('/api/chart' + MW.query({ night, label })));
  };

  MW.initChart = function () {
    MW.$('c-night').addEventListener('change', () => MW.loadChart().catch((e) => MW.toast(e.message, 'error')));
    MW.$('c-hide-not').addEventListener('change', () => MW.loadChart().catch((e) => MW.toast(e.message, 'error')));
  };
})();
