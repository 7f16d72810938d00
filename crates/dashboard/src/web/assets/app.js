// The page's start: tabs (by the URL's #hash), the header's numbers, the periodic refresh
// of cameras, nights and the shown tab, and the keyboard.
'use strict';

(function () {
  const TABS = ['cameras', 'review', 'chart', 'settings'];

  function showTab(name) {
    if (!TABS.includes(name)) name = 'cameras';
    MW.state.tab = name;
    for (const t of TABS) MW.$('tab-' + t).hidden = t !== name;
    for (const a of document.querySelectorAll('#tabs a')) {
      a.classList.toggle('active', a.dataset.tab === name);
      if (a.dataset.tab === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    refreshTab();
  }

  function windowText(w) {
    if (!w) return 'always (no site set)';
    if (w.kind === 'always_dark') return 'all night (polar night)';
    if (w.kind === 'never_dark') return 'none (polar day)';
    if (!w.start || !w.end) return '–';
    return MW.fmtHm(w.start) + '–' + MW.fmtHm(w.end) + (w.active ? ' · active' : '');
  }

  MW.refreshHeader = async function () {
    try {
      const s = await MW.get('/stats');
      MW.state.tz = s.timezone;
      MW.$('h-tonight').textContent = s.detections.tonight;
      MW.$('h-total').textContent = s.detections.total;
      MW.$('h-online').textContent = s.cameras.online + ' / ' + s.cameras.total;
      MW.$('h-online').className = s.cameras.online < s.cameras.total ? 'warn' : 'ok';
      MW.$('h-window').textContent = windowText(s.window);
      MW.$('h-window').title = s.window_source ? 'from ' + s.window_source : '';
      MW.$('h-uptime').textContent = MW.fmtDuration(s.uptime_s);
    } catch (e) {
      MW.$('h-online').textContent = 'dashboard unreachable';
      MW.$('h-online').className = 'warn';
    }
  };

  async function refreshCameras() {
    const data = await MW.get('/api/cameras');
    MW.state.tz = data.timezone;
    MW.state.pollMs = Math.max(500, data.poll_interval_s * 1000);
    MW.state.previewMs = Math.max(500, data.preview_interval_s * 1000);
    MW.state.cameras = data.cameras;
    MW.renderGrid(data.cameras);
    MW.fillSelect(MW.$('r-camera'), [['', 'all cameras']].concat(data.cameras.map((c) => [c.name, c.name])));
    MW.settingsCameras(data.cameras);
  }

  // Fresh data for the tab on show (settings only when asked: a form being edited stays).
  async function refreshTab() {
    try {
      if (MW.state.tab === 'review' || MW.state.tab === 'chart') {
        await MW.review.loadNights();
        if (MW.state.tab === 'review') await MW.review.load();
        else await MW.loadChart();
      } else if (MW.state.tab === 'settings') {
        await MW.loadSettings();
      }
    } catch (e) {
      MW.toast(e.message, 'error');
    }
  }

  // Status every poll interval (at most every 2 s), the review and chart as new
  // detections arrive; nothing while the tab is hidden.
  async function loop() {
    if (!document.hidden) {
      await Promise.all([
        refreshCameras().catch(() => {}),
        MW.refreshHeader(),
      ]);
      if (!MW.$('player').open && !MW.$('confirm').open) {
        if (MW.state.tab === 'review') {
          await MW.review.loadNights().catch(() => {});
          await MW.review.load().catch(() => {});
        } else if (MW.state.tab === 'chart') {
          await MW.review.loadNights().catch(() => {});
          await MW.loadChart().catch(() => {});
        }
      }
    }
    setTimeout(loop, Math.min(2000, MW.state.pollMs));
  }

  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (MW.$('confirm').open) return;
    if (MW.$('player').open) {
      if (MW.player.key_(e)) e.preventDefault();
      return;
    }
    if (MW.typing(e)) return;
    if (MW.state.tab === 'review' && MW.review.key_(e)) e.preventDefault();
  }

  async function start() {
    MW.initGrid();
    MW.initReview();
    MW.initPlayer();
    MW.initChart();
    MW.initSettings();
    document.addEventListener('keydown', onKey);
    window.addEventListener('hashchange', () => showTab(location.hash.slice(1)));
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) refreshTab();
    });
    await Promise.all([refreshCameras().catch((e) => MW.toast(e.message, 'error')), MW.refreshHeader()]);
    showTab(location.hash.slice(1));
    setTimeout(loop, Math.min(2000, MW.state.pollMs));
  }

  start();
})();
