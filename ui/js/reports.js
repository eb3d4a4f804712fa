// SPDX-License-Identifier: MIT OR Apache-2.0
// Reports from ClickHouse (the SQL of `acm report`, through /ui/api/reports):
// calls and alerts per hour, alerts by rule and status, time to triage, top
// targeted numbers, callers and sources; a time-range picker; CSV per table.
// Without ClickHouse: counts of the alerts this node holds.

import { api } from './api.js';
import { h, clear, card, table, message, fmtNum } from './dom.js';
import { lineChart, columnChart, barChart } from './charts.js';

const PRESETS = [['3600', 'last hour'], ['21600', 'last 6 h'], ['86400', 'last 24 h'], ['604800', 'last 7 days'], ['2592000', 'last 30 days'], ['custom', 'custom…']];
const range = { preset: '86400', from: '', to: '' };

function period() {
  const now = Math.floor(Date.now() / 1000);
  if (range.preset !== 'custom') return { since: now - Number(range.preset), until: now + 3600 };
  const since = range.from ? Math.floor(Date.parse(range.from) / 1000) : now - 86400;
  const until = range.to ? Math.floor(Date.parse(range.to) / 1000) : now + 3600;
  return { since, until: Math.max(until, since + 60) };
}

const col = (t, name) => t.columns.indexOf(name);

function csvLink(name, p) {
  return h('a', { class: 'csv', href: `/ui/api/reports/${name}.csv?since=${p.since}&until=${p.until}`, download: `acm-${name}.csv`, 'data-csv': name }, 'CSV');
}

function tableCard(title, t, p, chart) {
  return card(null, h('div', { class: 'card-head' }, h('h2', {}, title), csvLink(t.name, p)), chart, table(t.columns, t.rows, { name: t.name }));
}

/** The hours a report has rows for (ClickHouse's own text: its server's time zone). */
function hourly(t, fields) {
  const hi = col(t, 'hour');
  return { labels: t.rows.map((r) => String(r[hi])), values: fields.map((f) => t.rows.map((r) => Number(r[col(t, f)]) || 0)) };
}

export function render(main) {
  const body = h('div', { class: 'reports', id: 'reports' });
  const presetSel = h('select', { id: 'range', 'aria-label': 'Period' }, PRESETS.map(([v, t]) => h('option', { value: v }, t)));
  presetSel.value = range.preset;
  const from = h('input', { type: 'datetime-local', id: 'range-from', value: range.from, 'aria-label': 'From' });
  const to = h('input', { type: 'datetime-local', id: 'range-to', value: range.to, 'aria-label': 'To' });
  const custom = h('span', { class: 'custom', hidden: range.preset !== 'custom' }, from, ' → ', to);
  const form = h('form', { class: 'filters' }, presetSel, custom, h('button', { type: 'submit', class: 'primary' }, 'Show'));
  presetSel.addEventListener('change', () => { range.preset = presetSel.value; custom.hidden = range.preset !== 'custom'; if (range.preset !== 'custom') load(); });
  form.addEventListener('submit', (e) => { e.preventDefault(); range.from = from.value; range.to = to.value; load(); });
  main.append(h('section', { class: 'reports-page' }, h('div', { class: 'page-head' }, h('h1', {}, 'Reports')), form, body));
  let gen = 0;

  async function load() {
    const g = ++gen;
    const p = period();
    clear(body).append(h('p', { class: 'muted' }, 'Loading…'));
    let info;
    try { info = await api('/ui/api/reports'); } catch (e) { clear(body).append(message(e.message)); return; }
    if (!info.clickhouse) { await fallback(g, p); return; }
    const names = ['hourly', 'alerts-hourly', 'alerts-by-rule', 'alerts-by-status', 'alert-response', 'top-targets', 'top-callers', 'top-sources'];
    const got = await Promise.all(names.map((n) => api(`/ui/api/reports/${n}?since=${p.since}&until=${p.until}`).catch((e) => ({ name: n, error: e.message }))));
    if (g !== gen) return;
    const r = Object.fromEntries(got.map((t, i) => [names[i], { ...t, name: names[i] }]));
    clear(body);
    const failed = got.find((t) => t.error);
    if (failed) body.append(message(`ClickHouse: ${failed.error}`));
    const ok = (n) => r[n] && !r[n].error && r[n].columns;
    const charts = h('div', { class: 'grid2' });
    if (ok('hourly')) {
      const { labels, values } = hourly(r.hourly, ['calls_total', 'flagged', 'blocked']);
      charts.append(card(null, h('div', { class: 'card-head' }, h('h2', {}, 'Calls per hour'), csvLink('hourly', p)),
        lineChart(labels, [{ name: 'calls', cls: 'c-calls', values: values[0] }, { name: 'flagged', cls: 'c-flag', values: values[1] }, { name: 'blocked', cls: 'c-block', values: values[2] }], 'Calls per hour')));
    }
    if (ok('alerts-hourly')) {
      const { labels, values } = hourly(r['alerts-hourly'], ['alerts']);
      charts.append(card(null, h('div', { class: 'card-head' }, h('h2', {}, 'Alerts per hour'), csvLink('alerts-hourly', p)), columnChart(labels, values[0], 'Alerts per hour')));
    }
    body.append(charts);
    if (ok('alerts-by-rule')) {
      const t = r['alerts-by-rule'];
      const per = new Map();
      t.rows.forEach((row) => per.set(row[col(t, 'rule')], (per.get(row[col(t, 'rule')]) || 0) + Number(row[col(t, 'alerts')])));
      const items = [...per].sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value, cls: 'c-alerts' }));
      body.append(tableCard('Alerts by rule', t, p, items.length ? barChart(items, 'Alerts by rule') : null));
    }
    if (ok('alerts-by-status')) {
      const t = r['alerts-by-status'];
      const per = new Map();
      t.rows.forEach((row) => per.set(row[col(t, 'status')], (per.get(row[col(t, 'status')]) || 0) + Number(row[col(t, 'alerts')])));
      const items = [...per].map(([label, value]) => ({ label: label.replace('_', ' '), value, cls: `c-st-${label}` }));
      body.append(tableCard('Alerts by severity and status', t, p, items.length ? barChart(items, 'Alerts by status') : null));
    }
    if (ok('alert-response')) body.append(tableCard('Time to triage and resolve (seconds)', r['alert-response'], p));
    if (ok('top-targets')) {
      const t = r['top-targets'];
      const items = t.rows.slice(0, 10).map((row) => ({ label: row[col(t, 'b_number')], value: Number(row[col(t, 'flagged')]) + Number(row[col(t, 'blocked')]), cls: 'c-block' }));
      body.append(tableCard('Top targeted numbers', t, p, items.length ? barChart(items, 'Flagged and blocked calls per targeted number') : null));
    }
    if (ok('top-callers')) body.append(tableCard('Top callers', r['top-callers'], p));
    if (ok('top-sources')) body.append(tableCard('Top sources and trunks', r['top-sources'], p));
  }

  async function fallback(g, p) {
    const s = await api(`/ui/api/summary?since=${p.since}&until=${p.until}`).catch((e) => ({ error: e.message }));
    if (g !== gen) return;
    clear(body).append(message('Reports read ClickHouse, which this acm serve has not configured ([clickhouse], docs/pipeline.md). Below: the alerts this node holds in memory for the period.', 'warn'));
    if (s.error) { body.append(message(s.error)); return; }
    const grid = h('div', { class: 'grid2' });
    const labels = s.by_hour.map(([t]) => { const d = new Date(t * 1000); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${String(d.getHours()).padStart(2, '0')}:00`; });
    grid.append(card('Alerts per hour', columnChart(labels, s.by_hour.map(([, n]) => n), 'Alerts per hour')));
    const bars = (o, title, pre) => card(title, barChart(Object.entries(o).sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value, cls: `${pre}${label}` })), title));
    grid.append(bars(s.by_rule, 'Alerts by rule', 'c-alerts '), bars(s.by_status, 'Alerts by status', 'c-st-'), bars(s.by_severity, 'Alerts by severity', 'c-sev-'));
    body.append(h('p', {}, `${fmtNum(s.alerts)} alerts in the period (of ${fmtNum(s.held)} held).`), grid);
  }

  load();
  return () => { gen += 1; };
}
