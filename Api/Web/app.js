// ElectraLab web pages: plain JavaScript and SVG, no framework and nothing from a CDN. The API key lives in this
// browser's localStorage and goes out only in the X-Api-Key header of calls to this same server.
(function () {
  'use strict';
  const KEY = 'electralab.key';
  const SVG = 'http://www.w3.org/2000/svg';
  const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

  function el(tag, attrs, text) {
    const node = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function needKey(onKey) {
    const key = localStorage.getItem(KEY);
    if (key) return onKey();
    const box = document.getElementById('login');
    box.hidden = false;
    document.getElementById('login-form').addEventListener('submit', e => {
      e.preventDefault();
      localStorage.setItem(KEY, document.getElementById('key').value.trim());
      box.hidden = true;
      onKey();
    });
  }

  async function api(path) {
    const response = await fetch(path, { headers: { 'X-Api-Key': localStorage.getItem(KEY) || '' } });
    if (response.status === 401) { localStorage.removeItem(KEY); document.getElementById('login').hidden = false; }
    if (!response.ok) {
      let detail = response.statusText;
      try { const p = await response.json(); detail = p.detail || p.title || detail; } catch (_) { }
      throw new Error(`${response.status}: ${detail}`);
    }
    return response.json();
  }

  // Server-sent events through fetch (EventSource cannot send the key header): calls onEvent with each event's JSON
  // until the server ends the stream (the followed thing finished) or the page goes away.
  async function follow(path, onEvent, signal) {
    const response = await fetch(path, { signal, headers: { 'X-Api-Key': localStorage.getItem(KEY) || '', Accept: 'text/event-stream' } });
    if (response.status === 401) { localStorage.removeItem(KEY); document.getElementById('login').hidden = false; }
    if (!response.ok) throw new Error(`${response.status}: ${response.statusText}`);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter(l => l.startsWith('data:')).map(l => l.slice(5).trimStart()).join('\n');
        if (data) onEvent(JSON.parse(data));
      }
    }
  }

  function showError(e) { document.getElementById('error').textContent = e ? String(e.message || e) : ''; }

  const fmt = {
    num: v => v === null || v === undefined ? '–' : (Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(4)),
    // Scores as the paper and the CLI print them: metric fractions ×100.
    score: v => v === null || v === undefined ? '–' : (100 * v).toFixed(2),
    date: v => v ? new Date(v).toISOString().slice(0, 16).replace('T', ' ') : '–',
    sci: v => v ? v.toExponential(2) : '–',
    params: v => v ? (v / 1e6).toFixed(1) + 'M' : '–',
  };

  // Axes, ticks and a frame; returns scale functions into the plot area.
  function axes(svg, xs, ys, opts) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const w = +svg.getAttribute('width'), h = +svg.getAttribute('height');
    const m = { l: 56, r: 12, t: 12, b: 36 };
    let [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    if (x0 === x1) { x0 -= 0.5; x1 += 0.5; }
    if (y0 === y1) { y0 -= 0.5; y1 += 0.5; }
    const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
    const sx = x => m.l + (x - x0) / (x1 - x0) * (w - m.l - m.r);
    const sy = y => h - m.b - (y - y0) / (y1 - y0) * (h - m.t - m.b);
    svg.appendChild(el('svg:rect', { x: m.l, y: m.t, width: w - m.l - m.r, height: h - m.t - m.b, fill: '#fbfcfe', stroke: '#c8ced8' }));
    for (let i = 0; i <= 4; i++) {
      const xv = x0 + (x1 - x0) * i / 4, yv = y0 + (y1 - y0) * i / 4;
      svg.appendChild(el('svg:text', { x: sx(xv), y: h - m.b + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#555' }, opts.xTick(xv)));
      svg.appendChild(el('svg:text', { x: m.l - 6, y: sy(yv) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#555' }, yv.toPrecision(3)));
      svg.appendChild(el('svg:line', { x1: m.l, x2: w - m.r, y1: sy(yv), y2: sy(yv), stroke: '#eceff4' }));
    }
    svg.appendChild(el('svg:text', { x: (m.l + w - m.r) / 2, y: h - 4, 'text-anchor': 'middle', 'font-size': 12 }, opts.xLabel));
    return { sx, sy };
  }

  function noData(svg, text) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.appendChild(el('svg:text', { x: 20, y: 30, fill: '#7a8290' }, text));
  }

  // ---- Leaderboard ----
  function leaderboardPage() {
    const state = { sort: 'score', desc: true };
    const controls = ['benchmark', 'objective', 'tag'].map(id => document.getElementById(id));
    controls.forEach(c => c.addEventListener('change', () => load()));
    const yAxis = document.getElementById('y-axis');
    yAxis.addEventListener('change', () => load());

    async function load() {
      showError(null);
      const q = new URLSearchParams({ benchmark: controls[0].value, sort: state.sort, desc: state.desc, limit: 200 });
      if (controls[1].value) q.set('objective', controls[1].value);
      if (controls[2].value) q.set('tag', controls[2].value);
      try {
        const board = await api('/api/leaderboard?' + q);
        renderTable(board);
        // The plot's y axis: the task-set score or any one task of this benchmark.
        const wanted = yAxis.value || 'score';
        yAxis.replaceChildren(el('option', { value: 'score' }, 'score'), ...board.columns.map(c => el('option', { value: c.name }, c.name)));
        yAxis.value = [...yAxis.options].some(o => o.value === wanted) ? wanted : 'score';
        const c = new URLSearchParams({ benchmark: controls[0].value, y: yAxis.value });
        if (controls[1].value) c.set('objective', controls[1].value);
        if (controls[2].value) c.set('tag', controls[2].value);
        renderCompute(await api('/api/leaderboard/compute?' + c));
      } catch (e) { showError(e); }
    }

    function renderTable(board) {
      const table = document.getElementById('leaderboard');
      const cols = [
        { key: 'name', label: 'Experiment', cls: 'name', get: r => r.name, link: true },
        { key: null, label: 'Objective', cls: 'name', get: r => r.objective },
        { key: 'generator_size', label: 'Gen. size', get: r => r.generatorSize },
        { key: 'params', label: 'Params', get: r => fmt.params(r.params) },
        { key: 'train_flops', label: 'Train FLOPs', get: r => fmt.sci(r.trainFlops) },
        // The score over the tasks the experiment has, ranked among experiments with the same task set.
        { key: 'score', label: 'Score', get: r => fmt.score(r.taskSetScore) },
        { key: null, label: 'Tasks', cls: 'name', get: r => r.taskSet || '–' },
        ...board.columns.map(c => ({ key: c.name, label: c.name.toUpperCase(), get: r => fmt.score(r.columns[c.name]),
          range: r => r.seedRanges && r.seedRanges[c.name] })),
      ];
      const head = el('tr');
      for (const c of cols) {
        const th = el('th', { class: (c.cls || '') + (c.key === state.sort ? ' sorted' + (state.desc ? '' : ' asc') : '') }, c.label);
        if (c.key) th.addEventListener('click', () => {
          state.desc = state.sort === c.key ? !state.desc : c.key !== 'name';
          state.sort = c.key; load();
        });
        head.appendChild(th);
      }
      table.tHead.replaceChildren(head);
      const body = table.tBodies[0];
      body.replaceChildren();
      for (const r of board.rows.items) {
        const tr = el('tr', { class: 'lb-row', 'data-experiment': r.experimentId });
        for (const c of cols) {
          const td = el('td', { class: c.cls || '' });
          if (c.link) td.appendChild(el('a', { href: '/ui/experiments/' + r.experimentId }, c.get(r)));
          else td.textContent = c.get(r);
          // The seeds' spread beside each median: a gap smaller than this is seed noise.
          const range = c.range && c.range(r);
          if (range && range.seeds > 1) {
            td.appendChild(el('span', { class: 'range' }, ` ±${fmt.score((range.max - range.min) / 2)}`));
            td.title = `${range.seeds} seeds: ${fmt.score(range.min)} – ${fmt.score(range.max)}`;
          }
          tr.appendChild(td);
        }
        body.appendChild(tr);
      }
      document.getElementById('total').textContent = `${board.rows.items.length} of ${board.rows.total} experiments`;
    }

    function renderCompute(view) {
      const svg = document.getElementById('compute-plot');
      const points = view.points.filter(p => p.trainFlops > 0);
      if (points.length === 0) return noData(svg, 'No scored experiments yet.');
      const curves = (view.curves || []).map(c => ({ ...c, points: c.points.filter(p => p.trainFlops > 0) })).filter(c => c.points.length > 1);
      const curvePoints = curves.flatMap(c => c.points);
      const xs = points.map(p => Math.log10(p.trainFlops)), ys = points.map(p => 100 * p.score);
      const { sx, sy } = axes(svg, xs.concat(curvePoints.map(p => Math.log10(p.trainFlops))), ys.concat(curvePoints.map(p => 100 * p.value)),
        { xTick: v => '1e' + v.toFixed(1), xLabel: `train FLOPs (log scale) · y: ${view.y} ×100` });
      const objectives = [...new Set(points.map(p => p.objective).concat(curves.map(c => c.objective)))].sort();
      // Runs evaluated at FLOP milestones: a line through their checkpoints, in their objective's colour.
      for (const c of curves) {
        const line = el('svg:polyline', { class: 'milestones', fill: 'none', 'stroke-width': 1.5, stroke: COLORS[objectives.indexOf(c.objective) % COLORS.length],
          points: c.points.map(p => `${sx(Math.log10(p.trainFlops))},${sy(100 * p.value)}`).join(' ') });
        line.appendChild(el('svg:title', {}, `${c.name}: ${c.points.length} evaluated checkpoints`));
        svg.appendChild(line);
      }
      points.forEach((p, i) => {
        const c = el('svg:circle', { cx: sx(xs[i]), cy: sy(ys[i]), r: 5, fill: COLORS[objectives.indexOf(p.objective) % COLORS.length], 'fill-opacity': 0.85 });
        c.appendChild(el('svg:title', {}, `${p.name}: ${fmt.score(p.score)} (${p.taskSet}) at ${fmt.sci(p.trainFlops)} FLOPs`));
        svg.appendChild(c);
      });
      objectives.forEach((o, i) => {
        svg.appendChild(el('svg:circle', { cx: 70, cy: 24 + i * 16, r: 5, fill: COLORS[i % COLORS.length] }));
        svg.appendChild(el('svg:text', { x: 80, y: 28 + i * 16, 'font-size': 12 }, o));
      });
    }

    needKey(load);
  }

  // ---- Experiment ----
  function experimentPage(id) {
    const terminal = ['completed', 'failed', 'cancelled', 'stopped-early'];

    async function load() {
      showError(null);
      try {
        const x = await api('/api/experiments/' + id);
        const s = x.summary;
        document.getElementById('title').textContent = s.name;
        const status = document.getElementById('status');
        status.textContent = s.status; status.className = 'status ' + s.status;
        document.getElementById('summary').textContent =
          `${s.objective} · ${s.modelSize} · generator ${s.generatorSize} · ${fmt.params(s.params)} params · ${fmt.sci(s.trainFlops)} train FLOPs · seed ${x.seed} · created ${fmt.date(s.createdAt)}`;
        renderLineage(s);
        document.getElementById('data').textContent = dataLine(x.data);
        const failure = document.getElementById('failure');
        failure.hidden = !s.failureReason;
        failure.textContent = s.failureReason ? 'Failed: ' + s.failureReason : '';
        renderAnnotations(s);
        renderCheckpoints(x.checkpoints);
        await renderLog();
        const results = document.querySelector('#results tbody');
        results.replaceChildren(...x.results.map(r => row([r.task, r.metric, r.checkpointStep, r.seed, fmt.score(r.value)], 2)));
        const jobs = document.querySelector('#jobs tbody');
        // A job running or done again shows its own attempt, not the error of the attempt before it.
        jobs.replaceChildren(...x.jobs.map(j => row([j.kind, j.task || '', j.status, j.attempt, j.silo || '', fmt.date(j.queuedAt),
          fmt.date(j.startedAt), duration(j.startedAt, j.finishedAt), ['failed', 'queued'].includes(j.status) ? (j.error || '') : ''], 3, [3])));
        document.getElementById('config').textContent = JSON.stringify(x.config, null, 2);
        const series = await api(`/api/experiments/${id}/metrics?names=mlm_loss,disc_loss&buckets=300`);
        for (const m of series) drawCurve(document.getElementById('curve-' + m.name), m);
        await renderChosenMetric();
        if (!terminal.includes(s.status)) followChanges();
      } catch (e) { showError(e); }
    }

    // While the experiment runs, the server pushes its changes (GET /api/experiments/{id}/events); each one redraws the
    // page, at most every two seconds. The stream ends when the experiment does.
    let following = false, pending = null;
    function followChanges() {
      if (following) return;
      following = true;
      follow(`/api/experiments/${id}/events`, () => {
        if (pending) return;
        pending = setTimeout(() => { pending = null; load(); }, 2000);
      }).catch(showError).finally(() => { following = false; });
    }

    function duration(start, end) {
      if (!start) return '';
      const ms = (end ? new Date(end) : new Date()) - new Date(start);
      const m = Math.floor(ms / 60000), sec = Math.round((ms % 60000) / 1000);
      return (m ? `${m} min ` : '') + `${sec} s` + (end ? '' : ' so far');
    }

    // Which data it trained on, as its hash: two experiments with the same hash read the same examples and vocabulary.
    function dataLine(d) {
      if (!d || !d.sha256) return 'Data: not recorded yet (its first job has not started)';
      return `Data: ${d.dataset} · sha256 ${d.sha256.slice(0, 12)} · vocabulary ${d.vocabSize.toLocaleString("en-US")} tokens, sha256 ${d.vocabSha256.slice(0, 12)}`;
    }

    function renderLineage(s) {
      const lineage = document.getElementById('lineage');
      const parts = [];
      if (s.sweepId) parts.push(el('a', { href: '/ui/sweeps/' + s.sweepId }, 'its sweep'));
      if (s.parentExperimentId) parts.push(el('a', { href: '/ui/experiments/' + s.parentExperimentId }, 'forked from its parent'));
      lineage.replaceChildren(...parts.flatMap((p, i) => i ? [' · ', p] : [p]));
    }

    // Tags and notes are the team's own words: filled once, then left alone while the user edits them.
    let annotated = false;
    function renderAnnotations(s) {
      if (annotated) return;
      annotated = true;
      document.getElementById('tags').value = (s.tags || []).join(', ');
      document.getElementById('notes').value = s.notes || '';
    }
    document.getElementById('annotations').addEventListener('submit', async e => {
      e.preventDefault();
      const tags = document.getElementById('tags').value.split(',').map(t => t.trim()).filter(Boolean);
      const notes = document.getElementById('notes').value;
      try {
        const response = await fetch('/api/experiments/' + id, { method: 'PATCH',
          headers: { 'X-Api-Key': localStorage.getItem('electralab.key') || '', 'Content-Type': 'application/json' },
          body: JSON.stringify({ tags, notes }) });
        if (!response.ok) { const p = await response.json().catch(() => ({})); throw new Error(p.detail || p.title || response.statusText); }
        document.getElementById('saved').textContent = 'saved';
      } catch (err) { showError(err); }
    });

    // The newest lines of the job logs (every attempt's runner lines and its worker's output), oldest first.
    async function renderLog() {
      const log = await api(`/api/experiments/${id}/logs?tail=500`);
      const pre = document.getElementById('log');
      const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.textContent = log.lines.map(l => `${fmt.date(l.time)}  ${l.source.padEnd(6)} ${l.line}`).join('\n') || 'No log lines yet.';
      if (atBottom) pre.scrollTop = pre.scrollHeight;
    }

    function renderCheckpoints(checkpoints) {
      document.querySelector('#checkpoints tbody').replaceChildren(...(checkpoints || []).map(c => {
        const tr = el('tr', { class: 'checkpoint-row' });
        const button = el('button', {}, 'download');
        // The download needs the key header, so it goes through fetch and a blob, not a plain link.
        button.addEventListener('click', async () => {
          try {
            const response = await fetch(c.download, { headers: { 'X-Api-Key': localStorage.getItem('electralab.key') || '' } });
            if (!response.ok) throw new Error(`${response.status}: ${response.statusText}`);
            const link = el('a', { href: URL.createObjectURL(await response.blob()), download: `checkpoint-${c.step}-${c.kind}.tar` });
            document.body.appendChild(link); link.click(); link.remove();
          } catch (err) { showError(err); }
        });
        [c.step, c.kind, fmt.params(c.bytes).replace('M', ' MB'), fmt.date(c.createdAt)].forEach((v, i) =>
          tr.appendChild(el('td', { class: i === 1 ? 'name' : '' }, String(v))));
        const td = el('td'); td.appendChild(button); tr.appendChild(td);
        return tr;
      }));
    }

    const chooser = document.getElementById('metric-choice');
    chooser.addEventListener('change', () => renderChosenMetric());
    async function renderChosenMetric() {
      const names = await api(`/api/experiments/${id}/metric-names`);
      const current = chooser.value;
      chooser.replaceChildren(...names.map(n => el('option', { value: n }, n)));
      if (names.length === 0) return noData(document.getElementById('curve-chosen'), 'No metric points yet.');
      chooser.value = names.includes(current) ? current : names.includes('disc_accuracy') ? 'disc_accuracy' : names[0];
      const [m] = await api(`/api/experiments/${id}/metrics?names=${encodeURIComponent(chooser.value)}&buckets=300`);
      drawCurve(document.getElementById('curve-chosen'), m);
    }

    function row(values, textColumns, numeric) {
      const tr = el('tr');
      values.forEach((v, i) => tr.appendChild(el('td', { class: i < textColumns && !(numeric || []).includes(i) ? 'name' : '' }, String(v))));
      return tr;
    }

    function drawCurve(svg, m) {
      if (!svg) return;
      if (m.buckets.length === 0) return noData(svg, 'No points yet.');
      const xs = m.buckets.map(b => b.lastStep), ys = m.buckets.map(b => b.last);
      const { sx, sy } = axes(svg, xs, m.buckets.map(b => b.min).concat(m.buckets.map(b => b.max)), { xTick: v => Math.round(v), xLabel: 'step' });
      // The band is each bucket's min..max, the line its last value.
      const band = m.buckets.map(b => `${sx(b.lastStep)},${sy(b.max)}`).concat(m.buckets.slice().reverse().map(b => `${sx(b.lastStep)},${sy(b.min)}`));
      svg.appendChild(el('svg:polygon', { points: band.join(' '), fill: '#1f77b4', 'fill-opacity': 0.15 }));
      svg.appendChild(el('svg:polyline', { points: xs.map((x, i) => `${sx(x)},${sy(ys[i])}`).join(' '), fill: 'none', stroke: '#1f77b4', 'stroke-width': 2 }));
    }

    needKey(load);
  }

  // The helpers the other pages' scripts (pages.js) build on.
  window.ElectraLab = { leaderboardPage, experimentPage, lib: { el, api, follow, fmt, needKey, showError, axes, noData, COLORS } };
})();
