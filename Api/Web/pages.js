// The runs table and the sweep pages, on app.js's helpers. Live: a page refreshes every few seconds while anything
// it shows can still change, and stops once everything has finished.
(function () {
  'use strict';
  const { el, api, fmt, needKey, showError } = window.ElectraLab.lib;
  const TERMINAL = ['completed', 'failed', 'cancelled', 'stopped-early'];
  const REFRESH_MS = 3000;

  function statusPill(status) { return el('span', { class: 'status ' + status }, status); }

  function cell(content, cls) {
    const td = el('td', { class: cls || '' });
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    return td;
  }

  function sortableHead(table, cols, state, onSort) {
    const head = el('tr');
    for (const c of cols) {
      const th = el('th', { class: (c.cls || '') + (c.key && c.key === state.sort ? ' sorted' + (state.desc ? '' : ' asc') : '') }, c.label);
      if (c.key) th.addEventListener('click', () => {
        state.desc = state.sort === c.key ? !state.desc : c.key !== 'name';
        state.sort = c.key; onSort();
      });
      head.appendChild(th);
    }
    table.tHead.replaceChildren(head);
  }

  // ---- Runs: every experiment of the team, in every state ----
  function runsPage() {
    const state = { sort: 'created_at', desc: true };
    const ids = ['sweep', 'status', 'objective', 'tag', 'text'];
    const controls = Object.fromEntries(ids.map(id => [id, document.getElementById(id)]));
    Object.values(controls).forEach(c => c.addEventListener('change', () => load()));
    const params = new URLSearchParams(location.search);
    if (params.get('sweep')) controls.sweep.dataset.initial = params.get('sweep');
    let timer = null;

    const cols = [
      { key: 'name', label: 'Experiment', cls: 'name', get: r => el('a', { href: '/ui/experiments/' + r.id }, r.name) },
      { key: 'status', label: 'Status', cls: 'name', get: r => statusPill(r.status) },
      { key: 'objective', label: 'Objective', cls: 'name', get: r => r.objective },
      { key: 'generator_size', label: 'Gen. size', get: r => String(r.generatorSize) },
      { key: 'params', label: 'Params', get: r => fmt.params(r.params) },
      { key: 'train_flops', label: 'Train FLOPs', get: r => fmt.sci(r.trainFlops) },
      { key: null, label: 'Tags', cls: 'name', get: r => (r.tags || []).join(', ') },
      { key: null, label: 'Failure', cls: 'name reason', get: r => r.failureReason || '' },
      { key: 'created_at', label: 'Created', get: r => fmt.date(r.createdAt) },
    ];

    async function loadSweeps() {
      const sweeps = await api('/api/sweeps?limit=200');
      const select = controls.sweep;
      select.replaceChildren(el('option', { value: '' }, 'any'),
        ...sweeps.items.map(s => el('option', { value: s.id }, `${s.name} (${s.status})`)));
      if (select.dataset.initial) select.value = select.dataset.initial;
    }

    async function load() {
      clearTimeout(timer);
      showError(null);
      const q = new URLSearchParams({ limit: 200, sort: (state.desc ? '-' : '') + state.sort });
      for (const id of ids) if (controls[id].value) q.set(id, controls[id].value);
      try {
        const page = await api('/api/experiments?' + q);
        const table = document.getElementById('runs');
        sortableHead(table, cols, state, load);
        table.tBodies[0].replaceChildren(...page.items.map(r => {
          const tr = el('tr', { class: 'run-row', 'data-experiment': r.id, 'data-status': r.status });
          for (const c of cols) tr.appendChild(cell(c.get(r), c.cls));
          return tr;
        }));
        document.getElementById('total').textContent = `${page.items.length} of ${page.total} experiments`;
        if (page.items.some(r => !TERMINAL.includes(r.status))) timer = setTimeout(load, REFRESH_MS);
      } catch (e) { showError(e); }
    }

    needKey(async () => { try { await loadSweeps(); } catch (e) { showError(e); } load(); });
  }

  // ---- Sweeps: the list ----
  function sweepsPage() {
    let timer = null;
    async function load() {
      clearTimeout(timer);
      showError(null);
      try {
        const page = await api('/api/sweeps?limit=200');
        document.querySelector('#sweeps tbody').replaceChildren(...page.items.map(s => {
          const tr = el('tr', { class: 'sweep-row', 'data-sweep': s.id });
          const counts = Object.entries(s.counts).sort().map(([k, v]) => `${k} ${v}`).join(', ');
          [el('a', { href: '/ui/sweeps/' + s.id }, s.name), statusPill(s.status), String(s.experiments), counts, fmt.date(s.createdAt)]
            .forEach((v, i) => tr.appendChild(cell(v, i === 2 || i === 4 ? '' : 'name')));
          return tr;
        }));
        document.getElementById('total').textContent = `${page.items.length} of ${page.total} sweeps`;
        if (page.items.some(s => s.status === 'running')) timer = setTimeout(load, REFRESH_MS);
      } catch (e) { showError(e); }
    }
    needKey(load);
  }

  // ---- One sweep: its experiments' progress, live ----
  function sweepPage(id) {
    let timer = null;
    async function load() {
      clearTimeout(timer);
      showError(null);
      try {
        const s = await api('/api/sweeps/' + id);
        document.getElementById('title').textContent = s.name;
        const status = document.getElementById('status');
        status.replaceChildren(statusPill(s.status));
        document.getElementById('counts').textContent =
          Object.entries(s.counts).sort().map(([k, v]) => `${v} ${k}`).join(' · ') + ` · created ${fmt.date(s.createdAt)}`;
        document.getElementById('runs-link').href = '/ui/runs?sweep=' + id;
        document.querySelector('#experiments tbody').replaceChildren(...s.experiments.map(e => {
          const tr = el('tr', { class: 'sweep-experiment', 'data-experiment': e.id, 'data-status': e.status });
          // A completed experiment ran all it was going to (a no-op workload reports no steps at all).
          const fraction = e.status === 'completed' ? 1 : e.totalSteps ? Math.min(1, e.step / e.totalSteps) : 0;
          const bar = el('span', { class: 'progress', title: `${e.step} of ${e.totalSteps ?? '?'} steps` });
          bar.appendChild(el('span', { class: 'fill', style: `width: ${(100 * fraction).toFixed(1)}%` }));
          tr.appendChild(cell(el('a', { href: '/ui/experiments/' + e.id }, e.name), 'name'));
          tr.appendChild(cell(statusPill(e.status), 'name'));
          tr.appendChild(cell(bar, 'name'));
          tr.appendChild(cell(`${e.step}${e.totalSteps ? ' / ' + e.totalSteps : ''}`, 'step'));
          tr.appendChild(cell(e.reason || '', 'name reason'));
          return tr;
        }));
        if (s.status === 'running') timer = setTimeout(load, REFRESH_MS);
      } catch (e) { showError(e); }
    }
    needKey(load);
  }

  Object.assign(window.ElectraLab, { runsPage, sweepsPage, sweepPage });
})();
