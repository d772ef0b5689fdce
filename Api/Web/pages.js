// The runs table and the sweep pages, on app.js's helpers. Live: a page refreshes every few seconds while anything
// it shows can still change, and stops once everything has finished.
(function () {
  'use strict';
  const { el, api, follow, fmt, needKey, showError } = window.ElectraLab.lib;
  const TERMINAL = ['completed', 'failed', 'cancelled', 'stopped-early'];

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
    // Metric columns the user chose (comma-separated names): each row shows each one's newest value.
    const metricColumns = document.getElementById('metric-columns');
    metricColumns.addEventListener('change', () => load());
    const controls = Object.fromEntries(ids.map(id => [id, document.getElementById(id)]));
    Object.values(controls).forEach(c => c.addEventListener('change', () => load()));
    const params = new URLSearchParams(location.search);
    if (params.get('sweep')) controls.sweep.dataset.initial = params.get('sweep');
    let stream = null;

    const selected = new Set();
    const compare = document.getElementById('compare');
    function updateCompare() {
      compare.disabled = selected.size < 2;
      compare.textContent = `Compare selected (${selected.size})`;
    }
    compare.addEventListener('click', () => { location.href = '/ui/compare?ids=' + [...selected].join(','); });
    function checkbox(r) {
      const box = el('input', { type: 'checkbox', class: 'pick', 'aria-label': 'select ' + r.name });
      box.checked = selected.has(r.id);
      box.addEventListener('change', () => { if (box.checked) selected.add(r.id); else selected.delete(r.id); updateCompare(); });
      return box;
    }

    const cols = [
      { key: null, label: '', get: r => checkbox(r) },
      { key: 'name', label: 'Experiment', cls: 'name', get: r => el('a', { href: '/ui/experiments/' + r.id }, r.name) },
      { key: 'status', label: 'Status', cls: 'name', get: r => statusPill(r.status) },
      { key: null, label: 'Step', cls: 'step', get: r => String(r.step ?? 0) },
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

    // The server pushes the page whenever it changes (GET /api/experiments/events with the same query); changing a
    // filter or the sort starts a new stream.
    function load() {
      if (stream) stream.abort();
      stream = new AbortController();
      showError(null);
      const q = new URLSearchParams({ limit: 200, sort: (state.desc ? '-' : '') + state.sort });
      for (const id of ids) if (controls[id].value) q.set(id, controls[id].value);
      const mine = stream;
      follow('/api/experiments/events?' + q, page => render(page).catch(showError), mine.signal)
        .catch(e => { if (!mine.signal.aborted) showError(e); });
    }

    async function render(page) {
      const names = metricColumns.value.split(',').map(n => n.trim()).filter(Boolean);
      const latest = names.length && page.items.length
        ? await api(`/api/experiments/latest-metrics?ids=${page.items.map(r => r.id).join(',')}&names=${encodeURIComponent(names.join(','))}`)
        : {};
      const shown = cols.concat(names.map(n => ({ key: null, label: n, cls: 'metric', get: r => {
        const v = (latest[r.id] || {})[n];
        return v === undefined ? '–' : (Math.abs(v) >= 100 ? v.toExponential(2) : v.toPrecision(4));
      } })));
      const table = document.getElementById('runs');
      sortableHead(table, shown, state, load);
      table.tBodies[0].replaceChildren(...page.items.map(r => {
        const tr = el('tr', { class: 'run-row', 'data-experiment': r.id, 'data-status': r.status });
        for (const c of shown) tr.appendChild(cell(c.get(r), c.cls));
        return tr;
      }));
      document.getElementById('total').textContent = `${page.items.length} of ${page.total} experiments`;
    }

    updateCompare();
    needKey(async () => { try { await loadSweeps(); } catch (e) { showError(e); } load(); });
  }

  // ---- Sweeps: the list ----
  function sweepsPage() {
    // Pushed by the server (GET /api/sweeps/events) whenever the list changes.
    async function load() {
      showError(null);
      try {
        await follow('/api/sweeps/events?limit=200', render);
      } catch (e) { showError(e); }
    }
    function render(page) {
      document.querySelector('#sweeps tbody').replaceChildren(...page.items.map(s => {
        const tr = el('tr', { class: 'sweep-row', 'data-sweep': s.id });
        const counts = Object.entries(s.counts).sort().map(([k, v]) => `${k} ${v}`).join(', ');
        [el('a', { href: '/ui/sweeps/' + s.id }, s.name), statusPill(s.status), String(s.experiments), counts, fmt.date(s.createdAt)]
          .forEach((v, i) => tr.appendChild(cell(v, i === 2 || i === 4 ? '' : 'name')));
        return tr;
      }));
      document.getElementById('total').textContent = `${page.items.length} of ${page.total} sweeps`;
    }
    needKey(load);
  }

  const median = v => { const x = [...v].sort((a, b) => a - b), n = x.length; return n % 2 ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2; };

  // The percentile bootstrap 95% interval of the median (1,000 resamples, a fixed-seed generator so a page shows the
  // same interval every time it draws the same scores).
  function bootstrapInterval(values) {
    let state = 0x2545f491;
    const next = () => { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; return (state >>> 0) / 4294967296; };
    const medians = [];
    for (let r = 0; r < 1000; r++) medians.push(median(values.map(() => values[Math.floor(next() * values.length)])));
    medians.sort((a, b) => a - b);
    return [medians[24], medians[974]];
  }

  // Per axis and value: how many experiments have a score, their median, its bootstrap 95% interval and the range
  // (seeds and other axes pooled).
  function renderGroups(s, axes) {
    const rows = [];
    for (const a of axes) {
      const groups = new Map();
      for (const e of s.experiments) {
        const v = (e.axes || {})[a] ?? '';
        if (!groups.has(v)) groups.set(v, []);
        if (e.score !== null && e.score !== undefined) groups.get(v).push(e.score);
      }
      for (const [v, scores] of groups) {
        const tr = el('tr', { class: 'group-row', 'data-axis': a, 'data-value': v });
        const interval = scores.length > 1 ? bootstrapInterval(scores) : null;
        [a, v, String(scores.length), scores.length ? fmt.score(median(scores)) : '–',
          interval ? `${fmt.score(interval[0])} – ${fmt.score(interval[1])}` : '–',
          scores.length ? `${fmt.score(Math.min(...scores))} – ${fmt.score(Math.max(...scores))}` : '–']
          .forEach((x, i) => tr.appendChild(cell(x, i < 2 ? 'name' : '')));
        rows.push(tr);
      }
    }
    document.querySelector('#groups tbody').replaceChildren(...rows);
    document.getElementById('groups-section').hidden = axes.length === 0;
    renderAxisPlots(s, axes);
  }

  // Score against each axis: one point per scored experiment; numbers on a linear (or, spanning 10× or more, log)
  // scale, anything else as categories in order of appearance.
  function renderAxisPlots(s, axes) {
    const { axes: frame, COLORS } = window.ElectraLab.lib;
    const holder = document.getElementById('axis-plots');
    holder.replaceChildren();
    for (const a of axes) {
      const scored = s.experiments.filter(e => e.score !== null && e.score !== undefined);
      const svg = el('svg:svg', { class: 'plot axis-plot', 'data-axis': a, width: 420, height: 240, role: 'img', 'aria-label': `score against ${a}` });
      const figure = el('figure');
      figure.append(el('figcaption', {}, `score ×100 against ${a}`), svg);
      holder.appendChild(figure);
      if (scored.length === 0) { svg.appendChild(el('svg:text', { x: 20, y: 30, fill: '#7a8290' }, 'No scores yet.')); continue; }
      const raw = scored.map(e => (e.axes || {})[a] ?? '');
      const numbers = raw.map(Number);
      const numeric = numbers.every(n => Number.isFinite(n));
      const positive = numeric && numbers.every(n => n > 0);
      const log = positive && Math.max(...numbers) / Math.min(...numbers) >= 10;
      const categories = [...new Set(raw)];
      const xs = numeric ? numbers.map(n => log ? Math.log10(n) : n) : raw.map(v => categories.indexOf(v));
      const ys = scored.map(e => 100 * e.score);
      const { sx, sy } = frame(svg, xs, ys, {
        xTick: v => numeric ? (log ? '1e' + v.toFixed(1) : (+v.toPrecision(3)).toString()) : (categories[Math.round(v)] ?? ''),
        xLabel: a + (log ? ' (log scale)' : ''),
      });
      scored.forEach((e, i) => {
        const dot = el('svg:circle', { cx: sx(xs[i]), cy: sy(ys[i]), r: 4, fill: COLORS[0], 'fill-opacity': 0.8 });
        dot.appendChild(el('svg:title', {}, `${e.name}: ${fmt.score(e.score)}`));
        svg.appendChild(dot);
      });
    }
  }

  // ---- One sweep: its spec, its experiments' progress (live) and results by axis ----
  function sweepPage(id) {
    // Pushed by the server (GET /api/sweeps/{id}/events) whenever something shown changes, until the sweep finishes.
    async function load() {
      showError(null);
      try {
        await follow(`/api/sweeps/${id}/events`, render);
      } catch (e) { showError(e); }
    }

    function render(s) {
        document.getElementById('title').textContent = s.name;
        const status = document.getElementById('status');
        status.replaceChildren(statusPill(s.status));
        document.getElementById('counts').textContent =
          Object.entries(s.counts).sort().map(([k, v]) => `${v} ${k}`).join(' · ') + ` · created ${fmt.date(s.createdAt)}`;
        document.getElementById('runs-link').href = '/ui/runs?sweep=' + id;
        document.getElementById('report-link').href = '/ui/sweeps/' + id + '/report';
        document.getElementById('spec').textContent = JSON.stringify(s.spec, null, 2);
        const axes = s.axes || [];
        const head = document.querySelector('#experiments thead tr');
        head.replaceChildren(...['Experiment', ...axes, 'Seed', 'Status', 'Progress', 'Step', 'Score', 'Reason']
          .map((h, i) => el('th', { class: ['Seed', 'Step', 'Score'].includes(h) ? '' : 'name', 'data-axis': i > 0 && i <= axes.length ? h : '' }, h)));
        renderGroups(s, axes);
        document.querySelector('#experiments tbody').replaceChildren(...s.experiments.map(e => {
          const tr = el('tr', { class: 'sweep-experiment', 'data-experiment': e.id, 'data-status': e.status });
          // A completed experiment ran all it was going to (a no-op workload reports no steps at all).
          const fraction = e.status === 'completed' ? 1 : e.totalSteps ? Math.min(1, e.step / e.totalSteps) : 0;
          const bar = el('span', { class: 'progress', title: `${e.step} of ${e.totalSteps ?? '?'} steps` });
          bar.appendChild(el('span', { class: 'fill', style: `width: ${(100 * fraction).toFixed(1)}%` }));
          tr.appendChild(cell(el('a', { href: '/ui/experiments/' + e.id }, e.name), 'name'));
          for (const a of axes) tr.appendChild(cell((e.axes || {})[a] ?? '', 'name axis'));
          tr.appendChild(cell(String(e.seed)));
          tr.appendChild(cell(statusPill(e.status), 'name'));
          tr.appendChild(cell(bar, 'name'));
          // While pre-training: speed and time left, from the job's heartbeats.
          const eta = e.stepsPerSecond > 0 && e.totalSteps ? Math.max(0, (e.totalSteps - e.step) / e.stepsPerSecond) : null;
          tr.appendChild(cell(`${e.step}${e.totalSteps ? ' / ' + e.totalSteps : ''}` +
            (e.stepsPerSecond > 0 ? ` · ${e.stepsPerSecond.toFixed(2)} steps/s · ${Math.round(e.tokensPerSecond)} tokens/s · ${fmt.sci(e.trainFlops)} FLOPs` : '') +
            (eta !== null ? ` · ${Math.floor(eta / 60)} min ${Math.round(eta % 60)} s left` : '') +
            (e.activity ? ` · ${e.activity}` : ''), 'step'));
          tr.appendChild(cell(e.score === null || e.score === undefined ? '–' : fmt.score(e.score), 'score'));
          tr.appendChild(cell(e.reason || '', 'name reason'));
          return tr;
        }));
    }
    needKey(load);
  }

  // ---- Compare: overlaid curves of any metric, the config diff, results side by side ----
  function comparePage() {
    const { axes, noData, COLORS } = window.ElectraLab.lib;
    const ids = (new URLSearchParams(location.search).get('ids') || '').split(',').filter(Boolean);
    const metric = document.getElementById('metric');
    metric.addEventListener('change', () => drawMetric(metric.value));

    async function load() {
      showError(null);
      try {
        const c = await api('/api/experiments/compare?ids=' + ids.join(','));
        const names = c.experiments.map(x => x.summary.name);
        const legend = document.getElementById('legend');
        legend.replaceChildren(...c.experiments.map((x, i) => {
          const item = el('span', { class: 'legend-item' });
          item.appendChild(el('span', { class: 'swatch', style: `background: ${COLORS[i % COLORS.length]}` }));
          item.appendChild(el('a', { href: '/ui/experiments/' + x.summary.id }, x.summary.name));
          return item;
        }));
        const diff = document.getElementById('diff');
        diff.tHead.replaceChildren(el('tr', {}, ''));
        diff.tHead.rows[0].append(el('th', { class: 'name' }, 'config key'), ...names.map(n => el('th', { class: 'name' }, n)));
        // The data each trained on comes first, by hash (a pinned dataset and a local folder with the same content agree).
        const dataRows = [
          ['data', x => x.data && x.data.sha256 ? `${x.data.dataset.split('/').pop()} · ${x.data.sha256.slice(0, 12)}` : '–'],
          ['vocabulary', x => x.data && x.data.vocabSha256 ? `${x.data.vocabSize} · ${x.data.vocabSha256.slice(0, 12)}` : '–'],
        ].map(([label, text]) => {
          const values = c.experiments.map(text);
          const tr = el('tr', { class: 'data-row' + (new Set(values).size > 1 ? ' differs' : ''), 'data-key': label });
          tr.append(cell(label, 'name'), ...values.map(v => cell(v, 'name')));
          return tr;
        });
        diff.tBodies[0].replaceChildren(...dataRows, ...c.differences.map(d => {
          const tr = el('tr', { class: 'diff-row' });
          tr.append(cell(d.path, 'name'), ...d.values.map(v => cell(v ?? '–', 'name')));
          return tr;
        }));
        const results = document.getElementById('results');
        const columns = [...new Set(c.experiments.flatMap(x => x.results.flatMap(r => Object.keys(r.columns).map(k => `${r.benchmark}:${k}`))))].sort();
        results.tHead.replaceChildren(el('tr'));
        results.tHead.rows[0].append(el('th', { class: 'name' }, 'experiment'), ...columns.map(k => el('th', {}, k.split(':')[1])));
        results.tBodies[0].replaceChildren(...c.experiments.map(x => {
          const tr = el('tr', { class: 'result-row' });
          const value = k => { const [b, col] = k.split(':'); const r = x.results.find(r => r.benchmark === b); return r ? r.columns[col] : null; };
          tr.append(cell(x.summary.name, 'name'), ...columns.map(k => cell(fmt.score(value(k)))));
          return tr;
        }));
        const all = await Promise.all(ids.map(id => api(`/api/experiments/${id}/metric-names`)));
        const available = [...new Set(all.flat())].sort();
        metric.replaceChildren(...available.map(n => el('option', { value: n }, n)));
        if (available.length) {
          metric.value = available.includes('disc_loss') ? 'disc_loss' : available[0];
          drawMetric(metric.value);
        } else noData(document.getElementById('overlay'), 'No metric points yet.');
      } catch (e) { showError(e); }
    }

    async function drawMetric(name) {
      const svg = document.getElementById('overlay');
      try {
        const series = await Promise.all(ids.map(id => api(`/api/experiments/${id}/metrics?names=${encodeURIComponent(name)}&buckets=300`)));
        const lines = series.map(s => s[0].buckets);
        const points = lines.flat();
        if (points.length === 0) return noData(svg, `No ${name} points yet.`);
        const { sx, sy } = axes(svg, points.map(b => b.lastStep), points.map(b => b.last), { xTick: v => Math.round(v), xLabel: 'step' });
        lines.forEach((buckets, i) => {
          if (buckets.length === 0) return;
          svg.appendChild(el('svg:polyline', {
            class: 'series', 'data-experiment': ids[i], fill: 'none', stroke: COLORS[i % COLORS.length], 'stroke-width': 2,
            points: buckets.map(b => `${sx(b.lastStep)},${sy(b.last)}`).join(' '),
          }));
        });
      } catch (e) { showError(e); }
    }

    if (ids.length === 0) { showError('Choose experiments to compare on the runs page.'); return; }
    needKey(load);
  }

  // ---- A sweep's report: built by the server from the sweep's results (the same as `electralab report`) ----
  function reportPage(id) {
    document.getElementById('sweep-link').href = '/ui/sweeps/' + id;
    document.getElementById('sweep-id').textContent = id;
    needKey(async () => {
      showError(null);
      try {
        const report = await api(`/api/sweeps/${id}/report`);
        // The server escapes every text it puts in the fragment; its SVG figures are drawn by the server too.
        document.getElementById('report').innerHTML = report.html;
        document.title = 'ElectraLab · ' + document.querySelector('#report h1').textContent;
      } catch (e) { showError(e); }
    });
  }

  Object.assign(window.ElectraLab, { runsPage, sweepsPage, sweepPage, comparePage, reportPage });
})();
