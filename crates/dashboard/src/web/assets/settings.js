// Settings: view a camera's detection settings and apply changes on its worker. Only the
// fields that changed are sent; the worker checks them all and names the field at fault,
// which is shown beside that field.
'use strict';

(function () {
  const FIELDS = ['sensitivity', 'scale', 'exclude_bottom', 'exclude_edge', 'extract_clips', 'overrides'];
  let loaded = null; // the settings as last read
  let camera = '';

  function errors(field, msg) {
    for (const e of document.querySelectorAll('#s-form .err')) {
      e.textContent = '';
      e.closest && e.previousElementSibling && e.previousElementSibling.classList.remove('invalid');
    }
    if (!field) return;
    // `overrides.k_sigma` and the like belong to the overrides box.
    const base = FIELDS.includes(field) ? field : FIELDS.includes(field.split('.')[0]) ? field.split('.')[0] : 'overrides';
    const slot = document.querySelector('#s-form .err[data-for="' + base + '"]');
    slot.textContent = msg;
    const input = MW.$('s-' + base);
    input.classList.add('invalid');
    input.focus();
  }

  function fill(s) {
    loaded = s;
    MW.$('s-sensitivity').value = s.sensitivity;
    MW.$('s-scale').value = s.scale;
    MW.$('s-exclude_bottom').value = s.exclude_bottom;
    MW.$('s-exclude_edge').value = s.exclude_edge;
    MW.$('s-extract_clips').checked = !!s.extract_clips;
    const ov = s.overrides && Object.keys(s.overrides).length ? JSON.stringify(s.overrides) : '';
    MW.$('s-overrides').value = ov;
    const table = MW.clear(MW.$('s-params'));
    for (const [k, v] of Object.entries(s.params || {})) {
      table.append(MW.el('tr', {}, MW.el('th', {}, k), MW.el('td', {}, typeof v === 'object' ? JSON.stringify(v) : v)));
    }
    if (s.mask) table.append(MW.el('tr', {}, MW.el('th', {}, 'mask'), MW.el('td', {}, s.mask)));
  }

  async function load() {
    camera = MW.$('s-camera').value;
    errors(null);
    MW.$('s-status').textContent = '';
    if (!camera) return;
    const cam = MW.state.cameras.find((c) => c.name === camera);
    MW.$('s-state').textContent = cam ? (cam.online ? cam.url : 'offline: ' + (cam.error || 'no answer')) : '';
    try {
      fill(await MW.get('/api/cameras/' + MW.seg(camera) + '/settings'));
      MW.$('s-apply').disabled = false;
    } catch (e) {
      loaded = null;
      MW.$('s-apply').disabled = true;
      MW.$('s-status').textContent = 'Cannot read the settings: ' + e.message;
    }
  }

  // The changed fields, or throws with the field at fault.
  function changes() {
    const body = {};
    const num = (id) => {
      const v = MW.$('s-' + id).value.trim();
      const n = Number(v);
      if (v === '' || !isFinite(n)) {
        const e = new Error('a number, please');
        e.field = id;
        throw e;
      }
      return n;
    };
    if (MW.$('s-sensitivity').value !== loaded.sensitivity) body.sensitivity = MW.$('s-sensitivity').value;
    for (const f of ['scale', 'exclude_bottom', 'exclude_edge']) {
      const n = num(f);
      if (n !== loaded[f]) body[f] = n;
    }
    if (MW.$('s-extract_clips').checked !== !!loaded.extract_clips) body.extract_clips = MW.$('s-extract_clips').checked;
    const text = MW.$('s-overrides').value.trim();
    let ov = {};
    if (text) {
      try {
        ov = JSON.parse(text);
      } catch (err) {
        const e = new Error('not JSON: ' + err.message);
        e.field = 'overrides';
        throw e;
      }
      if (typeof ov !== 'object' || Array.isArray(ov) || ov === null) {
        const e = new Error('an object such as {"k_sigma": 4.5}');
        e.field = 'overrides';
        throw e;
      }
    }
    if (JSON.stringify(ov) !== JSON.stringify(loaded.overrides || {})) body.overrides = ov;
    return body;
  }

  async function apply(ev) {
    ev.preventDefault();
    if (!loaded) return;
    errors(null);
    let body;
    try {
      body = changes();
    } catch (e) {
      return errors(e.field, e.message);
    }
    if (!Object.keys(body).length) {
      MW.$('s-status').textContent = 'Nothing changed.';
      return;
    }
    MW.$('s-status').textContent = 'Applying…';
    try {
      fill(await MW.api('PUT', '/api/cameras/' + MW.seg(camera) + '/settings', body));
      MW.$('s-status').textContent = 'Applied: ' + Object.keys(body).join(', ') + '.';
      MW.toast('Settings applied to ' + camera);
    } catch (e) {
      MW.$('s-status').textContent = 'Not applied.';
      if (e.field) errors(e.field, e.message);
      else MW.$('s-status').textContent = 'Not applied: ' + e.message;
    }
  }

  MW.settingsCameras = function (cameras) {
    const sel = MW.$('s-camera');
    const before = sel.value;
    MW.fillSelect(sel, cameras.map((c) => [c.name, c.display_name && c.display_name !== c.name ? c.display_name + ' (' + c.name + ')' : c.name]));
    if (sel.value !== before || (!loaded && MW.state.tab === 'settings')) load();
  };

  MW.loadSettings = load;

  MW.initSettings = function () {
    MW.$('s-camera').addEventListener('change', load);
    MW.$('s-reload').addEventListener('click', load);
    MW.$('s-form').addEventListener('submit', apply);
    for (const f of FIELDS) {
      MW.$('s-' + f).addEventListener('input', () => MW.$('s-' + f).classList.remove('invalid'));
    }
  };
})();
