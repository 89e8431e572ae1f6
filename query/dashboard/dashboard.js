// The sluice dashboard: pipeline health and a chart of any rollup, refreshed every
// few seconds from the query API beside it (same origin, nothing from elsewhere).
/* global uPlot */
(() => {
  'use strict';
  const REFRESH_MS = 3000;
  const BUCKET_SECONDS = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '1d': 86400 };
  const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#9333ea', '#ea580c'];
  const $ = (id) => document.getElementById(id);
  const controls = { type: $('c-type'), rollup: $('c-rollup'), range: $('c-range'), bucket: $('c-bucket'), group: $('c-group'), top: $('c-top'), by: $('c-by') };
  let catalog = null;
  let chart = null;
  let chartKey = '';
  let timer = 0;
  let generation = 0;

  class ApiError extends Error {}

  async function getJson(path) {
    let res;
    try {
      res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
    } catch (err) {
      throw Object.assign(new Error(`no answer from ${location.origin}`), { down: true, cause: err });
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(body && body.error ? body.error.message : `${res.status} ${res.statusText}`);
    return body;
  }

  const fmt = (n, digits = 0) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits }));
  const ms = (v) => (v < 1000 ? `${fmt(v)} ms` : `${fmt(v / 1000, 1)} s`);

  function setDown(down, detail) {
    $('down').hidden = !down;
    $('down-detail').textContent = detail || '';
    document.body.classList.toggle('stale', false);
    for (const el of document.querySelectorAll('.health, .chart, .numbers')) el.classList.toggle('stale', down);
  }

  function showMessage(text) {
    $('message').hidden = !text;
    $('message').textContent = text || '';
  }

  function fillTypes() {
    const current = controls.type.value;
    const types = catalog.types;
    controls.type.replaceChildren(...types.map((t) => new Option(t, t)));
    if (types.includes(current)) controls.type.value = current;
    fillGroups();
  }

  const covers = (r, type) => r.types === '*' || r.types.includes(type);

  // Rollups that cover the type; the group-by choices are the chosen rollup's dimensions (or all of theirs).
  function fillGroups() {
    const type = controls.type.value;
    const covering = catalog.rollups.filter((r) => covers(r, type));
    const currentRollup = controls.rollup.value;
    controls.rollup.replaceChildren(new Option('(auto)', ''), ...covering.map((r) => new Option(r.name, r.name)));
    controls.rollup.value = covering.some((r) => r.name === currentRollup) ? currentRollup : '';
    const current = controls.group.value;
    const dims = new Set();
    for (const r of covering) if (!controls.rollup.value || r.name === controls.rollup.value) r.groupBy.forEach((d) => dims.add(d));
    controls.group.replaceChildren(new Option('(none)', ''), ...[...dims].sort().map((d) => new Option(d, d)));
    controls.group.value = dims.has(current) ? current : '';
    controls.top.disabled = !controls.group.value;
    // Only buckets some chosen rollup's stored window divides (the API refuses the others).
    const chosen = covering.filter((r) => !controls.rollup.value || r.name === controls.rollup.value);
    const windows = chosen.flatMap((r) => r.windows);
    for (const o of controls.bucket.options) o.disabled = !windows.some((w) => BUCKET_SECONDS[o.value] % w === 0);
    if (controls.bucket.selectedOptions[0]?.disabled) {
      const first = [...controls.bucket.options].find((o) => !o.disabled);
      if (first) controls.bucket.value = first.value;
    }
  }

  function queryString() {
    const p = new URLSearchParams({ type: controls.type.value, from: controls.range.value, to: 'now', bucket: controls.bucket.value, by: controls.by.value });
    if (controls.rollup.value) p.set('rollup', controls.rollup.value);
    if (controls.group.value) {
      p.set('groupBy', controls.group.value);
      p.set('top', String(Math.min(50, Math.max(1, Number(controls.top.value) || 5))));
    }
    return p.toString();
  }

  function renderHealth(h) {
    $('h-rate').textContent = fmt(h.eventsPerSecond, 1);
    $('h-age').textContent = ms(h.iteratorAgeMs);
    $('h-eps').textContent = h.eventsPerStatement === null ? '–' : fmt(h.eventsPerStatement, 1);
    $('h-quarantine').textContent = fmt(h.quarantinePending);
  }

  const groupLabel = (dims, groupBy) => (groupBy.length ? groupBy.map((d) => dims[d] ?? '(none)').join(' / ') : 'all');
  const measureOf = (m, by) => (by === 'sum' ? m.sum : m[by]);

  function renderNumbers(result, r) {
    const by = result.by;
    const table = $('numbers');
    table.classList.toggle('hide-distinct', r.distinctOf === null);
    $('n-group').textContent = result.groupBy.length ? result.groupBy.join(' / ') : 'type';
    const groups = result.groupBy.length ? r.groups : [{ dims: {}, ...r.totals }];
    $('groups').replaceChildren(...groups.map((g, i) => {
      const tr = document.createElement('tr');
      const label = result.groupBy.length ? groupLabel(g.dims, result.groupBy) : r.type;
      tr.dataset.group = label;
      const th = document.createElement('th');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = COLORS[i % COLORS.length];
      th.append(swatch, label);
      tr.append(th, ...['count', 'sum', 'min', 'max', 'distinct'].map((k) => {
        const td = document.createElement('td');
        td.className = k;
        td.textContent = k === 'sum' ? fmt(g.sum, 2) : fmt(g[k], 2);
        return td;
      }));
      return tr;
    }));
    const t = r.totals;
    const cells = $('totals').querySelectorAll('td');
    [t.count, t.sum, t.min, t.max, t.distinct].forEach((v, i) => { cells[i].textContent = fmt(v, 2); });
    $('updated').textContent = `${r.type}: ${fmt(t.count)} events, ${by} per ${controls.bucket.value} bucket from rollup ${r.rollup}; updated ${new Date().toLocaleTimeString()}`;
  }

  function renderChart(result, r) {
    const bucket = result.bucket;
    const from = Date.parse(result.from) / 1000;
    const to = Date.parse(result.to) / 1000;
    const xs = [];
    for (let t = from; t < to; t += bucket) xs.push(t);
    const index = new Map(xs.map((t, i) => [t, i]));
    const groups = result.groupBy.length ? r.groups : [{ dims: {} }];
    const keyOf = (dims) => JSON.stringify(result.groupBy.map((d) => dims[d] ?? null));
    const seriesIndex = new Map(groups.map((g, i) => [keyOf(g.dims), i]));
    const ys = groups.map(() => xs.map(() => (result.by === 'count' || result.by === 'sum' ? 0 : null)));
    for (const row of r.rows) {
      const s = seriesIndex.get(keyOf(row.dims || {}));
      const i = index.get(Date.parse(row.bucket) / 1000);
      if (s !== undefined && i !== undefined) ys[s][i] = measureOf(row, result.by);
    }
    const labels = groups.map((g) => (result.groupBy.length ? groupLabel(g.dims, result.groupBy) : r.type));
    const key = JSON.stringify([labels, result.by]);
    const el = $('chart');
    const width = Math.max(260, el.clientWidth || 320);
    const height = window.innerWidth < 480 ? 200 : 280;
    el.dataset.series = JSON.stringify(labels);
    el.dataset.values = JSON.stringify(ys.map((y) => y.reduce((a, b) => a + (b || 0), 0)));
    if (chart && key === chartKey) {
      chart.setData([xs, ...ys]);
      return;
    }
    if (chart) chart.destroy();
    chartKey = key;
    chart = new uPlot({
      width, height,
      scales: { x: { time: true } },
      series: [{}, ...labels.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: false } }))],
      axes: [{}, { label: result.by, size: 60 }],
    }, [xs, ...ys], el);
  }

  async function refresh() {
    const mine = ++generation;
    clearTimeout(timer);
    try {
      const [health] = await Promise.all([
        getJson('/v1/health').catch((err) => { if (err.down) throw err; return null; }),
        catalog ? Promise.resolve() : getJson('/v1/catalog').then((c) => { catalog = c; fillTypes(); }),
      ]);
      if (mine !== generation) return;
      setDown(false);
      if (health) renderHealth(health);
      if (!catalog.types.includes(controls.type.value)) {
        const fresh = await getJson('/v1/catalog');
        catalog = fresh;
        fillTypes();
      }
      if (!controls.type.value) {
        showMessage('No events counted yet: send some (npx sluice send, or POST /v1/events) and they show here.');
      } else {
        const result = await getJson(`/v1/query?${queryString()}`);
        if (mine !== generation) return;
        showMessage('');
        const r = result.results[0];
        renderNumbers(result, r);
        renderChart(result, r);
      }
    } catch (err) {
      if (mine !== generation) return;
      if (err.down) setDown(true, err.message);
      else showMessage(err.message);
    } finally {
      if (mine === generation) timer = setTimeout(refresh, REFRESH_MS);
    }
  }

  controls.type.addEventListener('change', () => { fillGroups(); refresh(); });
  controls.rollup.addEventListener('change', () => { fillGroups(); refresh(); });
  controls.group.addEventListener('change', () => { controls.top.disabled = !controls.group.value; refresh(); });
  for (const c of [controls.range, controls.bucket, controls.top, controls.by]) c.addEventListener('change', refresh);
  $('controls').addEventListener('submit', (e) => { e.preventDefault(); refresh(); });
  window.addEventListener('resize', () => {
    if (chart) chart.setSize({ width: Math.max(260, $('chart').clientWidth || 320), height: window.innerWidth < 480 ? 200 : 280 });
  });
  refresh();
})();
