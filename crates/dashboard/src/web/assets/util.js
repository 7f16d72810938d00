// Meteor watch page: shared helpers. Every piece of data reaches the DOM as text
// (textContent / text nodes / setAttribute), never as HTML: camera names may be any UTF-8.
'use strict';

const MW = (window.MW = {
  state: {
    tz: 'UTC',
    pollMs: 5000,
    previewMs: 2000,
    cameras: [],
    tab: 'cameras',
  },
});

MW.$ = (id) => document.getElementById(id);

// el('div', {class: 'x', onclick: f}, 'text', child, [more]): children that are not nodes
// become text nodes.
MW.el = function (tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  MW.append(e, children);
  return e;
};

MW.append = function (parent, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return parent;
};

MW.clear = function (e) {
  while (e.firstChild) e.removeChild(e.firstChild);
  return e;
};

MW.seg = (s) => encodeURIComponent(s);

// fetch JSON; throws an Error with .status, .field and .data on a non-2xx answer.
MW.api = async function (method, url, body) {
  const opts = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(url, opts);
  const text = await r.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (_) {
      data = { error: text };
    }
  }
  if (!r.ok) {
    const err = new Error((data && data.error) || 'HTTP ' + r.status);
    err.status = r.status;
    err.field = data && data.field;
    err.data = data;
    throw err;
  }
  return data;
};

MW.get = (url) => MW.api('GET', url);

MW.query = function (params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') continue;
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, String(x));
  }
  const s = q.toString();
  return s ? '?' + s : '';
};

// 3725 -> "1h 2m"
MW.fmtDuration = function (s) {
  if (s === null || s === undefined || !isFinite(s)) return '–';
  s = Math.max(0, Math.round(s));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (d) return d + 'd ' + h + 'h';
  if (h) return h + 'h ' + m + 'm';
  if (m) return m + 'm ' + sec + 's';
  return sec + 's';
};

// sv-SE writes dates the ISO way: 2026-11-23 02:17:33.
MW.formatter = function (opts) {
  try {
    return new Intl.DateTimeFormat('sv-SE', Object.assign({ timeZone: MW.state.tz, hour12: false }, opts));
  } catch (_) {
    return new Intl.DateTimeFormat('sv-SE', Object.assign({ timeZone: 'UTC', hour12: false }, opts));
  }
};

// Times in the dashboard's TIMEZONE.
MW.fmtTime = function (iso) {
  if (!iso) return '–';
  return MW.formatter({ hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
};

MW.fmtDateTime = function (iso) {
  if (!iso) return '–';
  return MW.formatter({
    year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).format(new Date(iso));
};

MW.fmtHm = function (iso) {
  if (!iso) return '–';
  return MW.formatter({ hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
};

MW.pct = (c) => (c === null || c === undefined ? '–' : Math.round(c * 100) + '%');

let toastTimer = null;
MW.toast = function (msg, kind) {
  const t = MW.$('toast');
  t.textContent = msg;
  t.className = kind || '';
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), kind === 'error' ? 8000 : 3000);
};

// A stable colour per camera index, for the chart and the review badges.
MW.color = (i) => 'hsl(' + ((200 + i * 137.508) % 360).toFixed(0) + ', 70%, 60%)';

MW.cameraIndex = function (name) {
  const i = MW.state.cameras.findIndex((c) => c.name === name);
  return i < 0 ? 0 : i;
};

// Fills a <select> with [value, text] pairs, keeping the current choice when it still exists.
MW.fillSelect = function (sel, options, keep) {
  const current = keep === undefined ? sel.value : keep;
  MW.clear(sel);
  for (const [value, text] of options) sel.append(MW.el('option', { value }, text));
  if (options.some(([v]) => v === current)) sel.value = current;
};

// Asks "are you sure" in a modal; resolves true or false.
MW.confirm = function (text) {
  const d = MW.$('confirm');
  MW.$('confirm-text').textContent = text;
  return new Promise((resolve) => {
    const done = (v) => {
      MW.$('confirm-yes').onclick = MW.$('confirm-no').onclick = d.oncancel = null;
      d.close();
      resolve(v);
    };
    MW.$('confirm-yes').onclick = () => done(true);
    MW.$('confirm-no').onclick = () => done(false);
    d.oncancel = (e) => {
      e.preventDefault();
      done(false);
    };
    d.showModal();
    MW.$('confirm-yes').focus();
  });
};

MW.typing = function (e) {
  const t = e.target;
  return t && (t.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName)) &&
    !(t.tagName === 'INPUT' && t.type === 'checkbox');
};
