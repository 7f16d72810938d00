// The review's modal player: the clip in a <video> (the browser streams it with Range
// requests through the dashboard's file proxy), or the composite, marked or original; the
// record's facts; labelling, deleting and moving on without closing it.
'use strict';

(function () {
  const P = (MW.player = { index: -1, view: 'clip' });
  const R = () => MW.review;

  function current() {
    return R().items[P.index];
  }

  function fact(dt, dd) {
    return [MW.el('dt', {}, dt), MW.el('dd', {}, dd)];
  }

  function show() {
    const d = current();
    if (!d) return close();
    MW.$('p-title').textContent = d.camera + ' — ' + MW.fmtDateTime(d.start_time);
    const facts = MW.clear(MW.$('p-facts'));
    MW.append(facts, [
      fact('confidence', MW.pct(d.confidence)),
      fact('label', d.label === 'meteor' ? 'meteor' : d.label === 'not_meteor' ? 'not meteor' : 'unlabelled'),
      fact('duration', (d.duration_s || 0).toFixed(2) + ' s'),
      fact('frames', d.frames),
      fact('length', Math.round(d.length_px || 0) + ' px'),
      fact('speed', Math.round(d.speed_px_s || 0) + ' px/s'),
      fact('peak SNR', (d.peak_snr || 0).toFixed(1)),
      fact('sensitivity', d.sensitivity || '–'),
      fact('id', d.id),
    ]);
    MW.$('p-meteor').classList.toggle('active', d.label === 'meteor');
    MW.$('p-not').classList.toggle('active', d.label === 'not_meteor');
    MW.$('p-prev').disabled = P.index <= 0;
    MW.$('p-next').disabled = P.index >= R().items.length - 1;
    const views = document.querySelectorAll('#player [data-view]');
    for (const b of views) {
      const v = b.dataset.view;
      b.disabled = !url(d, v);
    }
    // "download original": the untouched clip, whatever the player shows.
    const dl = MW.$('p-download');
    dl.hidden = !(d.urls && d.urls.clip);
    if (dl.hidden) dl.removeAttribute('href');
    else dl.href = d.urls.clip;
    setView(url(d, P.view) ? P.view : url(d, 'clip') ? 'clip' : 'composite');
  }

  function url(d, view) {
    const u = d.urls || {};
    // The H.264 rendition when the clip is H.265 (browsers cannot play HEVC).
    return view === 'clip' ? u.clip_browser || u.clip : view === 'original' ? u.composite_original : u.composite;
  }

  function setView(view) {
    const d = current();
    P.view = view;
    const video = MW.$('p-video');
    const img = MW.$('p-image');
    for (const b of document.querySelectorAll('#player [data-view]')) {
      b.setAttribute('aria-pressed', String(b.dataset.view === view));
    }
    const u = url(d, view);
    MW.$('p-noclip').hidden = !!u || view !== 'clip';
    if (view === 'clip' && u) {
      img.hidden = true;
      video.hidden = false;
      if (video.dataset.src !== u) {
        video.dataset.src = u;
        video.src = u;
      }
      video.play().catch(() => {});
    } else {
      video.pause();
      video.hidden = true;
      img.hidden = !u;
      if (u) img.src = u;
      else img.removeAttribute('src');
    }
  }

  function stopVideo() {
    const video = MW.$('p-video');
    video.pause();
    video.removeAttribute('src');
    delete video.dataset.src;
    video.load();
  }

  P.open = function (i) {
    P.index = i;
    const dlg = MW.$('player');
    if (!dlg.open) dlg.showModal();
    show();
  };

  function close() {
    const dlg = MW.$('player');
    if (dlg.open) dlg.close();
  }

  function go(delta) {
    const n = P.index + delta;
    if (n < 0 || n >= R().items.length) return;
    P.index = n;
    R().cursor = n;
    show();
  }

  // Keeps showing the same record after the list was reloaded.
  function follow(key) {
    const i = R().items.findIndex((d) => R().key(d) === key);
    if (i >= 0) P.index = i;
    show();
  }

  async function label(l) {
    const d = current();
    if (!d) return;
    const key = R().key(d);
    await R().label([d], l);
    follow(key);
  }

  async function remove() {
    const d = current();
    if (!d) return;
    const at = P.index;
    stopVideo();
    const done = await R().remove([d]);
    if (!done) return show();
    if (!R().items.length) return close();
    P.index = Math.min(at, R().items.length - 1);
    R().cursor = P.index;
    show();
  }

  function togglePlay() {
    const video = MW.$('p-video');
    if (P.view !== 'clip' || video.hidden) return setView('clip');
    if (video.paused) video.play().catch(() => {});
    else video.pause();
  }

  P.key_ = function (e) {
    switch (e.key) {
      case 'j': go(1); return true;
      case 'k': go(-1); return true;
      case 'm': label('meteor'); return true;
      case 'n': label('not_meteor'); return true;
      case 'u': label('none'); return true;
      case 'Delete': remove(); return true;
      case 'c': setView(P.view === 'clip' ? 'composite' : P.view === 'composite' ? 'original' : 'clip'); return true;
      case ' ':
      case 'Enter':
        if (e.target && e.target.tagName === 'BUTTON') return false;
        togglePlay();
        return true;
    }
    return false;
  };

  MW.initPlayer = function () {
    MW.$('p-close').addEventListener('click', close);
    MW.$('player').addEventListener('close', stopVideo);
    MW.$('p-prev').addEventListener('click', () => go(-1));
    MW.$('p-next').addEventListener('click', () => go(1));
    MW.$('p-meteor').addEventListener('click', () => label('meteor'));
    MW.$('p-not').addEventListener('click', () => label('not_meteor'));
    MW.$('p-delete').addEventListener('click', remove);
    for (const b of document.querySelectorAll('#player [data-view]')) {
      b.addEventListener('click', () => setView(b.dataset.view));
    }
    // Pause while the tab is hidden.
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) MW.$('p-video').pause();
    });
  };
})();
