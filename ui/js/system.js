// SPDX-License-Identifier: MIT OR Apache-2.0
// Health: version, store, the pipeline (queued, spooled, dropped), the alert
// lanes (webhook receivers, teardown), and Kamailio workers' acm.stats when
// [teardown] kamailio_rpc is configured. Refreshed every 5 s while shown.

import { api } from './api.js';
import { h, clear, card, table, message, fmtNum, fmtBytes } from './dom.js';

function kv(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([k, v, warn]) => [h('dt', {}, k), h('dd', { class: warn ? 'mono warn' : 'mono' }, v)]));
}

export function render(main) {
  const body = h('div', { id: 'system' });
  main.append(h('section', { class: 'system-page' }, h('div', { class: 'page-head' }, h('h1', {}, 'Health')), body));
  let timer = 0;
  let alive = true;

  async function load() {
    let s;
    try { s = await api('/ui/api/health'); } catch (e) { if (alive) clear(body).append(message(e.message)); return; }
    if (!alive) return;
    const p = s.pipeline;
    const grid = h('div', { class: 'grid2' },
      card('acm serve', kv([['version', s.version], ['mode', s.mode], ['node', s.node], ['up', `${Math.floor(s.uptime_s / 3600)} h ${Math.floor((s.uptime_s % 3600) / 60)} min`], ['dashboard sessions', fmtNum(s.sessions)]])),
      card('Pipeline', kv([['destination', p.destination], ['queued', fmtNum(p.queued), p.queued > 1000], ['spooled', fmtNum(p.spooled), p.spooled > 0], ['spool', fmtBytes(p.spool_bytes)],
        ['dropped', fmtNum(p.dropped), p.dropped > 0], ['inserted calls', fmtNum(p.inserted_calls)], ['inserted alerts', fmtNum(p.inserted_alerts)], ['insert errors', fmtNum(p.insert_errors), p.insert_errors > 0]])),
      card(`Store: ${s.store.name}`, s.store.metrics.length
        ? table(['metric', 'value'], s.store.metrics.map((m) => [m.label ? `${m.name} {${m.label}}` : m.name, m.value]))
        : h('p', { class: 'muted' }, 'no counters')),
      card('Alerts', kv([['held in memory', fmtNum(s.alerts.held)], ['lifecycle log', s.alerts.log]])),
      card('Alert lanes (webhooks, teardown)', s.lanes.length
        ? table(['lane', 'sent', 'retried', 'failed', 'dropped', 'spooled', 'disabled'], s.lanes.map((l) => [l.name, l.sent, l.retried, l.failed, l.dropped, l.spooled, l.disabled ? 'yes' : 'no']))
        : h('p', { class: 'muted' }, 'no webhook receivers or teardown configured')),
      card('Kamailio workers (acm.stats)', !s.kamailio.configured
        ? h('p', { class: 'muted' }, 'set [teardown] kamailio_rpc to see the workers\' counters here')
        : s.kamailio.error ? message(`acm.stats: ${typeof s.kamailio.error === 'string' ? s.kamailio.error : JSON.stringify(s.kamailio.error)}`)
          : h('pre', { class: 'toml' }, JSON.stringify(s.kamailio.stats, null, 2))));
    clear(body).append(grid);
    timer = setTimeout(load, 5000);
  }
  load();
  return () => { alive = false; clearTimeout(timer); };
}
