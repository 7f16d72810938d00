// Camera grid: one card per camera with a status dot, chips for its settings, and a preview.
// Previews are single snapshots refreshed every PREVIEW_INTERVAL, only for cards on screen,
// only while the tab is visible: a browser keeps at most six connections per host, so sixteen
// endless MJPEG streams would starve the page. The live stream opens on click, one at a time.
'use strict';

(function () {
  const cards = new Map(); // camera name -> {card, img, ...}
  const visible = new Set();
  const STATE_TEXT = {
    offline: 'worker offline',
    unknown: 'waiting for first poll',
    detecting: 'detecting',
    out_of_window: 'outside window',
    stream_lost: 'stream lost',
    initializing: 'starting',
    waiting_frame: 'waiting for frames',
    disabled: 'detection off',
    online: 'online',
  };

  const observer = 'IntersectionObserver' in window
    ? new IntersectionObserver((entries) => {
      for (const e of entries) {
        const name = e.target.dataset.camera;
        if (e.isIntersecting) visible.add(name);
        else visible.delete(name);
      }
    }, { rootMargin: '100px' })
    : null;

  function makeCard(cam) {
    const img = MW.el('img', { alt: '', class: 'snap', hidden: true });
    const placeholder = MW.el('div', { class: 'placeholder' });
    const preview = MW.el('button', {
      type: 'button', class: 'preview', title: 'Open the live view',
      onclick: () => openLive(cam.name),
    }, img, placeholder);
    const dot = MW.el('span', { class: 'dot', 'aria-hidden': 'true' });
    const title = MW.el('h3', { class: 'cam-name' });
    const stateText = MW.el('span', { class: 'state-text' });
    const chips = MW.el('div', { class: 'chips' });
    const meta = MW.el('div', { class: 'meta' });
    const error = MW.el('div', { class: 'error' });
    const card = MW.el('article', { class: 'card cam', dataset: { camera: cam.name } },
      preview, MW.el('div', { class: 'cam-head' }, dot, title, stateText), chips, meta, error);
    const c = { card, img, placeholder, dot, title, stateText, chips, meta, error, loading: false, url: null };
    cards.set(cam.name, c);
    if (observer) observer.observe(card);
    else visible.add(cam.name);
    return c;
  }

  function chip(text, cls) {
    return MW.el('span', { class: 'chip' + (cls ? ' ' + cls : '') }, text);
  }

  function update(c, cam) {
    const state = cam.state;
    c.card.dataset.state = state;
    c.card.classList.toggle('down', state === 'offline');
    c.dot.className = 'dot st-' + state;
    c.title.textContent = cam.display_name || cam.name;
    c.title.title = cam.name;
    c.stateText.textContent = STATE_TEXT[state] || state;
    const s = cam.settings || {};
    const chips = [];
    if (s.sensitivity) chips.push(chip(s.sensitivity, 'sens'));
    if (s.scale !== undefined && s.scale !== null) chips.push(chip('scale ' + s.scale));
    const fps = cam.processing_fps;
    if (fps !== null && fps !== undefined && state !== 'offline') {
      chips.push(chip(Number(fps).toFixed(1) + ' fps' + (cam.source_fps ? ' / ' + Number(cam.source_fps).toFixed(0) : '')));
    }
    if (s.extract_clips !== undefined) chips.push(chip(s.extract_clips ? 'clips on' : 'clips off', s.extract_clips ? 'on' : 'off'));
    if (cam.resolution) chips.push(chip(cam.resolution + (cam.codec ? ' ' + cam.codec : '')));
    MW.clear(c.chips);
    MW.append(c.chips, chips);
    const wd = cam.worker_detections || {};
    const parts = [];
    if (state === 'offline') {
      parts.push(cam.last_seen ? 'last seen ' + MW.fmtDuration(cam.seen_ago_s) + ' ago' : 'never seen');
    } else if (cam.seen_ago_s !== null && cam.seen_ago_s !== undefined) {
      parts.push('polled ' + MW.fmtDuration(cam.seen_ago_s) + ' ago');
    }
    if (wd.tonight !== undefined) parts.push(wd.tonight + ' tonight');
    parts.push(cam.cached_detections + ' total');
    c.meta.textContent = parts.join(' · ');
    let err = '';
    if (state === 'offline') err = cam.error || 'no answer';
    else if (state === 'stream_lost' && cam.last_error) err = cam.last_error;
    else if (cam.detections_error) err = 'detections: ' + cam.detections_error;
    c.error.textContent = err;
    c.error.hidden = !err;
    const canPreview = cam.online && cam.connected;
    c.canPreview = canPreview;
    c.placeholder.textContent = canPreview ? 'loading preview…' : (STATE_TEXT[state] || state);
    if (!canPreview) {
      c.img.hidden = true;
      c.placeholder.hidden = false;
    }
  }

  MW.renderGrid = function (cameras) {
    const grid = MW.$('grid');
    const names = new Set(cameras.map((c) => c.name));
    for (const [name, c] of cards) {
      if (!names.has(name)) {
        c.card.remove();
        cards.delete(name);
      }
    }
    cameras.forEach((cam, i) => {
      const c = cards.get(cam.name) || makeCard(cam);
      update(c, cam);
      if (grid.children[i] !== c.card) grid.insertBefore(c.card, grid.children[i] || null);
    });
  };

  // One snapshot for a card, unless one is on its way.
  async function refresh(name, c) {
    if (c.loading) return;
    c.loading = true;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), Math.max(5000, MW.state.previewMs * 2));
    try {
      const r = await fetch('/cameras/' + MW.seg(name) + '/snapshot.jpg', { cache: 'no-store', signal: ctl.signal });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      const url = URL.createObjectURL(await r.blob());
      if (c.url) URL.revokeObjectURL(c.url);
      c.url = url;
      c.img.src = url;
      c.img.hidden = false;
      c.placeholder.hidden = true;
    } catch (_) {
      c.placeholder.textContent = 'no preview';
    } finally {
      clearTimeout(timer);
      c.loading = false;
    }
  }

  function previewTick() {
    if (!document.hidden && MW.state.tab === 'cameras') {
      for (const [name, c] of cards) {
        if (visible.has(name) && c.canPreview) refresh(name, c);
      }
    }
    setTimeout(previewTick, MW.state.previewMs);
  }

  // The live MJPEG view of one camera, closed (connection and all) with the dialog, and
  // paused while the tab is hidden.
  let liveName = null;
  function liveSrc() {
    return '/cameras/' + MW.seg(liveName) + '/stream';
  }
  function openLive(name) {
    const cam = MW.state.cameras.find((c) => c.name === name);
    liveName = name;
    MW.$('live-title').textContent = (cam && cam.display_name) || name;
    MW.$('live-img').src = liveSrc();
    MW.$('live').showModal();
  }
  function closeLive() {
    liveName = null;
    MW.$('live-img').removeAttribute('src');
    if (MW.$('live').open) MW.$('live').close();
  }

  MW.initGrid = function () {
    MW.$('live-close').addEventListener('click', closeLive);
    MW.$('live').addEventListener('close', () => {
      liveName = null;
      MW.$('live-img').removeAttribute('src');
    });
    document.addEventListener('visibilitychange', () => {
      if (!liveName) return;
      if (document.hidden) MW.$('live-img').removeAttribute('src');
      else MW.$('live-img').src = liveSrc();
    });
    setTimeout(previewTick, 200);
  };
})();
