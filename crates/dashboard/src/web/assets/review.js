// Review: the detections of one night (all cameras or one), newest first, as composite
// thumbnails with time, camera and confidence. A cursor (j/k) and a selection (x, checkboxes)
// drive labelling and deleting, one at a time or in bulk; changes go to the owning worker
// through the dashboard.
'use strict';

(function () {
  const PAGE = 200;
  const R = (MW.review = {
    items: [],
    total: 0,
    cursor: -1,
    selected: new Set(),
    shown: PAGE,
    signature: '',
    nights: [],
  });
  const els = new Map(); // key -> card element

  R.key = (d) => d.camera + '\u0000' + d.id;

  function filters() {
    const conf = parseFloat(MW.$('r-conf').value);
    return {
      night: MW.$('r-night').value,
      camera: MW.$('r-camera').value,
      label: MW.$('r-label').value === 'any' ? '' : MW.$('r-label').value,
      min_confidence: conf > 0 ? conf : '',
    };
  }

  // Reads the first `shown` matching records (pages of at most 1000).
  R.load = async function () {
    const f = filters();
    if (!f.night) return;
    MW.$('r-csv').href = '/detections.csv' + MW.query(f);
    const items = [];
    let total = 0;
    while (items.length < R.shown) {
      const limit = Math.min(1000, R.shown - items.length);
      const page = await MW.get('/detections' + MW.query(Object.assign({ limit, offset: items.length }, f)));
      total = page.total;
      items.push(...page.detections);
      if (page.detections.length < limit) break;
    }
    R.items = items;
    R.total = total;
    const keys = new Set(items.map(R.key));
    for (const k of [...R.selected]) if (!keys.has(k)) R.selected.delete(k);
    render();
  };

  function card(d, i) {
    const box = MW.el('input', {
      type: 'checkbox', 'aria-label': 'select',
      onchange: (e) => {
        if (e.target.checked) R.selected.add(R.key(d));
        else R.selected.delete(R.key(d));
        R.cursor = i;
        marks();
      },
    });
    const thumb = d.urls && d.urls.composite
      ? MW.el('img', { src: d.urls.composite, alt: '', loading: 'lazy', class: 'thumb' })
      // An old record the dashboard does not keep, whose worker did not answer just now.
      : d.record_error
        ? MW.el('div', { class: 'thumb none', title: d.record_error }, 'worker did not answer')
        : MW.el('div', { class: 'thumb none' }, 'no image');
    const badge = MW.el('span', { class: 'badge label-' + (d.label || 'none') },
      d.label === 'meteor' ? 'meteor' : d.label === 'not_meteor' ? 'not meteor' : 'unlabelled');
    const camDot = MW.el('span', { class: 'camdot', 'aria-hidden': 'true' });
    camDot.style.background = MW.color(MW.cameraIndex(d.camera));
    return MW.el('article', {
      class: 'card det', tabindex: '-1',
      dataset: { id: d.id, camera: d.camera, label: d.label || '' },
    },
    MW.el('button', { type: 'button', class: 'thumb-btn', title: 'Play (Enter)', onclick: () => R.open(i) }, thumb),
    MW.el('div', { class: 'det-info' },
      MW.el('label', { class: 'sel' }, box),
      MW.el('b', { class: 'time' }, MW.fmtTime(d.start_time)),
      MW.el('span', { class: 'camname' }, camDot, d.camera),
    ),
    MW.el('div', { class: 'det-info' },
      MW.el('span', { class: 'conf', title: 'confidence' }, MW.pct(d.confidence)),
      d.duration_s != null ? MW.el('span', { class: 'muted' }, d.duration_s.toFixed(1) + ' s') : null,
      d.urls && d.urls.clip ? MW.el('span', { class: 'muted' }, '▶ clip') : null,
      badge,
    ));
  }

  function render() {
    const list = MW.$('review-list');
    const sig = R.items.map((d) => R.key(d) + ':' + (d.label || '') + (d.record_error ? '!' : '')).join('|');
    if (sig !== R.signature) {
      const cursorKey = R.items[R.cursor] && R.key(R.items[R.cursor]);
      R.signature = sig;
      els.clear();
      MW.clear(list);
      R.items.forEach((d, i) => {
        const e = card(d, i);
        els.set(R.key(d), e);
        list.append(e);
      });
      const kept = cursorKey ? R.items.findIndex((d) => R.key(d) === cursorKey) : -1;
      if (kept >= 0) R.cursor = kept;
      if (R.cursor >= R.items.length) R.cursor = R.items.length - 1;
    }
    MW.$('r-count').textContent = R.total + ' detection' + (R.total === 1 ? '' : 's') +
      (R.items.length < R.total ? ' (' + R.items.length + ' shown)' : '');
    MW.$('r-empty').hidden = R.items.length > 0;
    MW.$('r-more').hidden = R.items.length >= R.total;
    marks();
  }

  // Cursor and selection marks, the bulk bar.
  function marks() {
    R.items.forEach((d, i) => {
      const e = els.get(R.key(d));
      if (!e) return;
      const sel = R.selected.has(R.key(d));
      e.classList.toggle('selected', sel);
      e.classList.toggle('cursor', i === R.cursor);
      e.querySelector('input[type=checkbox]').checked = sel;
    });
    const n = R.selected.size;
    MW.$('r-selected').textContent = n + ' selected';
    for (const id of ['b-meteor', 'b-not', 'b-none', 'b-delete']) MW.$(id).disabled = n === 0;
    MW.$('r-all').checked = n > 0 && n === R.items.length;
  }

  R.move = function (delta) {
    if (!R.items.length) return;
    R.cursor = Math.max(0, Math.min(R.items.length - 1, (R.cursor < 0 ? -1 : R.cursor) + delta));
    marks();
    const e = els.get(R.key(R.items[R.cursor]));
    if (e) {
      e.scrollIntoView({ block: 'nearest' });
      e.focus({ preventScroll: true });
    }
  };

  // The selection, or else the record under the cursor.
  function targets() {
    if (R.selected.size) return R.items.filter((d) => R.selected.has(R.key(d)));
    return R.items[R.cursor] ? [R.items[R.cursor]] : [];
  }

  function report(res, what) {
    if (res.failed && res.failed.length) {
      const f = res.failed[0];
      MW.toast(what + ': ' + res.failed.length + ' failed (' + f.camera + ': ' + f.error + ')', 'error');
    } else {
      MW.toast(what + ': ' + res.done + ' done');
    }
  }

  R.label = async function (items, label) {
    if (!items.length) return;
    try {
      if (items.length === 1) {
        const d = items[0];
        const rec = await MW.api('PUT', '/api/cameras/' + MW.seg(d.camera) + '/detections/' + MW.seg(d.id) + '/label', { label });
        d.label = rec.label || null;
        MW.toast('Labelled ' + (label === 'none' ? 'unlabelled' : label.replace('_', ' ')));
      } else {
        const res = await MW.api('POST', '/api/detections/bulk', {
          action: 'label', label, items: items.map((d) => ({ camera: d.camera, id: d.id })),
        });
        report(res, 'Label');
        R.selected.clear();
      }
    } catch (e) {
      MW.toast('Label failed: ' + e.message, 'error');
    }
    await R.load().catch(() => {});
    MW.refreshHeader && MW.refreshHeader();
  };

  R.remove = async function (items, ask) {
    if (!items.length) return false;
    const what = items.length === 1
      ? 'Delete the detection of ' + MW.fmtDateTime(items[0].start_time) + ' on ' + items[0].camera + '?'
      : 'Delete ' + items.length + ' detections?';
    if (ask !== false && !(await MW.confirm(what + ' Its clip and images are removed from the camera for good.'))) return false;
    try {
      if (items.length === 1) {
        const d = items[0];
        await MW.api('DELETE', '/api/cameras/' + MW.seg(d.camera) + '/detections/' + MW.seg(d.id));
        MW.toast('Deleted');
      } else {
        const res = await MW.api('POST', '/api/detections/bulk', {
          action: 'delete', items: items.map((d) => ({ camera: d.camera, id: d.id })),
        });
        report(res, 'Delete');
      }
      for (const d of items) R.selected.delete(R.key(d));
    } catch (e) {
      MW.toast('Delete failed: ' + e.message, 'error');
    }
    await R.load().catch(() => {});
    MW.refreshHeader && MW.refreshHeader();
    return true;
  };

  R.open = function (i) {
    R.cursor = i;
    marks();
    MW.player.open(i);
  };

  // Keys while the review is shown and no dialog is open; true when the key was used.
  R.key_ = function (e) {
    switch (e.key) {
      case 'j': R.move(1); return true;
      case 'k': R.move(-1); return true;
      case 'm': R.label(targets(), 'meteor'); return true;
      case 'n': R.label(targets(), 'not_meteor'); return true;
      case 'u': R.label(targets(), 'none'); return true;
      case 'x': {
        const d = R.items[R.cursor];
        if (d) {
          const k = R.key(d);
          if (R.selected.has(k)) R.selected.delete(k);
          else R.selected.add(k);
          marks();
        }
        return true;
      }
      case 'Delete': R.remove(targets()); return true;
      case 'Enter':
      case ' ':
        if (R.cursor < 0 && R.items.length) R.cursor = 0;
        if (R.items[R.cursor]) R.open(R.cursor);
        return true;
      case 'Escape':
        R.selected.clear();
        marks();
        return true;
    }
    return false;
  };

  // The night list (with counts), tonight first; keeps the chosen night, and moves on to the
  // new night at noon when tonight was the one shown.
  R.loadNights = async function () {
    const data = await MW.get('/api/nights');
    R.nights = data.nights;
    const opts = data.nights.map((n) => [n.night, n.night + (n.night === data.tonight ? ' (tonight)' : '') + ' — ' + n.total]);
    const keep = (v) => (!v || v === R.tonight ? data.tonight : v);
    MW.fillSelect(MW.$('r-night'), opts, keep(MW.$('r-night').value));
    MW.fillSelect(MW.$('c-night'), opts, keep(MW.$('c-night').value));
    R.tonight = data.tonight;
  };

  MW.initReview = function () {
    const reset = () => {
      R.shown = PAGE;
      R.cursor = -1;
      R.selected.clear();
      R.load().catch((e) => MW.toast(e.message, 'error'));
    };
    for (const id of ['r-night', 'r-camera', 'r-label', 'r-conf']) MW.$(id).addEventListener('change', reset);
    MW.$('r-more').addEventListener('click', () => {
      R.shown += PAGE;
      R.load().catch((e) => MW.toast(e.message, 'error'));
    });
    MW.$('r-all').addEventListener('change', (e) => {
      if (e.target.checked) R.items.forEach((d) => R.selected.add(R.key(d)));
      else R.selected.clear();
      marks();
    });
    MW.$('b-meteor').addEventListener('click', () => R.label(targets(), 'meteor'));
    MW.$('b-not').addEventListener('click', () => R.label(targets(), 'not_meteor'));
    MW.$('b-none').addEventListener('click', () => R.label(targets(), 'none'));
    MW.$('b-delete').addEventListener('click', () => R.remove(targets()));
  };
})();
