// SPDX-License-Identifier: MIT OR Apache-2.0
// One alert: what it is, its evidence as a timeline (the calls, callers,
// sources; each call's verdict when ClickHouse holds it), the history of
// status changes, notes and actions, and the actions the user's role allows:
// analysts investigate, resolve, dismiss as false positive, reopen and note;
// admins also block the callers (or sources) and disconnect the calls.

import { api, can, subscribe } from './api.js';
import { h, clear, fmtTime, badge, card, message } from './dom.js';

const NEXT = {
  new: [['investigating', 'Investigate'], ['false_positive', 'False positive']],
  investigating: [['resolved', 'Resolve'], ['false_positive', 'False positive']],
  resolved: [['investigating', 'Reopen']],
  false_positive: [['investigating', 'Reopen']],
};
const DURATIONS = [['3600', '1 hour'], ['86400', '24 hours'], ['604800', '7 days']];

function timeline(a) {
  const ev = a.evidence || {};
  const recs = ev.call_records;
  const to = a.raised_at_ms;
  const from = to - ((ev.window && ev.window.ms) || a.window_ms || 0);
  let calls;
  if (Array.isArray(recs) && recs.length) {
    calls = recs.map((r) => ({ t: Number(r.event_time_ms), id: r.call_id, a: r.a_number, src: r.source_ip, trunk: r.trunk, action: r.action }));
  } else {
    // Without ClickHouse: the calls and callers the alert carries, in the order it kept them.
    calls = (ev.calls || a.call_ids || []).map((id, i) => ({ id, a: (ev.callers || [])[i] || '', src: (ev.sources || [])[i] || '' }));
  }
  const span = Math.max(1, to - from);
  const W = 600;
  const timed = calls.filter((c) => c.t);
  const svg = timed.length ? (() => {
    const ns = 'http://www.w3.org/2000/svg';
    const s = document.createElementNS(ns, 'svg');
    s.setAttribute('viewBox', `0 0 ${W} 40`);
    s.setAttribute('class', 'timeline');
    s.setAttribute('role', 'img');
    s.setAttribute('aria-label', `${timed.length} calls within the window`);
    const line = document.createElementNS(ns, 'line');
    Object.entries({ x1: 10, x2: W - 10, y1: 20, y2: 20, class: 'axis' }).forEach(([k, v]) => line.setAttribute(k, v));
    s.append(line);
    for (const c of timed) {
      const dot = document.createElementNS(ns, 'circle');
      const x = 10 + ((c.t - from) / span) * (W - 20);
      Object.entries({ cx: Math.max(10, Math.min(W - 10, x)), cy: 20, r: 6, class: `dot act-${c.action || 'x'}` }).forEach(([k, v]) => dot.setAttribute(k, v));
      const t = document.createElementNS(ns, 'title');
      t.textContent = `${fmtTime(c.t)} ${c.a} (${c.action || ''})`;
      dot.append(t);
      s.append(dot);
    }
    return s;
  })() : null;
  return card('Evidence timeline',
    h('p', { class: 'muted' }, `window ${fmtTime(from)} → ${fmtTime(to)}; ${ev.count ?? a.count} counted, threshold ${ev.threshold ?? a.threshold}`),
    svg,
    h('ol', { class: 'calls', id: 'evidence-calls' }, calls.map((c) => h('li', {},
      c.t ? h('span', { class: 'mono muted' }, fmtTime(c.t).slice(11)) : null,
      h('span', { class: 'mono' }, c.a || '?'),
      h('span', { class: 'muted mono small' }, c.id),
      c.src ? h('span', { class: 'muted small' }, `from ${c.src}`) : null,
      c.trunk ? h('span', { class: 'muted small' }, `trunk ${c.trunk}`) : null,
      c.action ? badge('act', c.action) : null))),
    ev.call_records_error ? message(`Call records: ${ev.call_records_error}`, 'warn') : null);
}

function historyList(a) {
  return card('History',
    h('ol', { class: 'history', id: 'history' }, (a.history || []).slice().reverse().map((e) => {
      let what;
      if (e.kind === 'raised') what = 'raised';
      else if (e.kind === 'status') what = `${(e.from || '').replace('_', ' ')} → ${(e.to || '').replace('_', ' ')}`;
      else if (e.kind === 'assign') what = e.assignee ? `assigned to ${e.assignee}` : 'unassigned';
      else if (e.kind === 'action') {
        const x = e.action || {};
        if (x.action === 'block') what = `blocked ${(x.entries || []).length} on ${x.list} until ${fmtTime(x.until_ms)}`;
        else if (x.action === 'disconnect') what = `disconnected ${(x.ended || []).length} calls (${(x.not_found || []).length} not found)`;
        else if (x.action === 'unblock') what = `block lifted on ${x.list}`;
        else what = x.action || 'action';
      } else what = e.kind;
      return h('li', { class: `h-${e.kind}` },
        h('span', { class: 'mono muted small' }, fmtTime(Date.parse(e.at))),
        h('strong', {}, what), h('span', { class: 'muted' }, ` by ${e.actor}`),
        e.note ? h('p', { class: 'note' }, e.note) : null);
    })));
}

export function render(main, { id, overview }) {
  const root = h('section', { class: 'detail-page' });
  main.append(root);
  let current = null;
  let busy = false;

  async function load() {
    try {
      show(await api(`/v1/alerts/${encodeURIComponent(id)}`));
    } catch (e) {
      clear(root).append(h('a', { href: '/alerts', 'data-link': true, class: 'back' }, '← Alerts'),
        message(e.status === 404 ? `No alert ${id}.` : e.message));
    }
  }

  function actions(a) {
    if (!can('analyst')) return null;
    const msg = h('div', { class: 'action-msg', id: 'action-msg' });
    const note = h('textarea', { id: 'note', name: 'note', rows: 2, maxlength: 4000, placeholder: 'Note (optional with a status change)' });
    const run = async (what, path, body) => {
      if (busy) return;
      busy = true;
      clear(msg);
      for (const b of root.querySelectorAll('.actions button')) b.disabled = true;
      try {
        const d = await api(path, { method: 'POST', body });
        note.value = '';
        show(d);
        const m = root.querySelector('#action-msg');
        if (m) m.append(message(`${what}: done.`, 'ok'));
      } catch (e) {
        msg.append(message(`${what}: ${e.message}`));
        for (const b of root.querySelectorAll('.actions button')) b.disabled = false;
      } finally {
        busy = false;
      }
    };
    const base = `/v1/alerts/${encodeURIComponent(a.id)}`;
    const statusButtons = (NEXT[a.status] || []).map(([to, label]) => h('button', {
      type: 'button', class: to === 'false_positive' ? '' : 'primary', 'data-action': to,
      onclick: () => run(label, `${base}/status`, { status: to, note: note.value.trim() || undefined }),
    }, label));
    const noteButton = h('button', {
      type: 'button', 'data-action': 'note',
      onclick: () => { if (note.value.trim()) run('Note', `${base}/notes`, { note: note.value.trim() }); },
    }, 'Add note');
    const admin = [];
    if (can('admin')) {
      const dur = h('select', { id: 'block-duration', 'aria-label': 'Block for' }, DURATIONS.map(([v, t]) => h('option', { value: v }, t)));
      const ev = a.evidence || {};
      if ((ev.callers || a.a_numbers || []).length) {
        admin.push(h('button', {
          type: 'button', class: 'danger', 'data-action': 'block',
          onclick: () => run('Block callers', `${base}/block`, { target: 'a_numbers', duration_s: Number(dur.value), note: note.value.trim() || undefined }),
        }, `Block ${(ev.callers || a.a_numbers).length} callers`));
      }
      if ((ev.sources || a.sources || []).filter(Boolean).length) {
        admin.push(h('button', {
          type: 'button', class: 'danger', 'data-action': 'block-sources',
          onclick: () => run('Block sources', `${base}/block`, { target: 'sources', duration_s: Number(dur.value) }),
        }, 'Block sources'));
      }
      if (overview && overview.teardown) {
        admin.push(h('button', {
          type: 'button', class: 'danger', 'data-action': 'disconnect',
          onclick: () => { if (confirm('End every established call of this alert?')) run('Disconnect', `${base}/disconnect`); },
        }, 'Disconnect calls'));
      }
      if (admin.length) admin.unshift(h('label', { class: 'inline' }, 'for ', dur));
    }
    return card('Actions', h('div', { class: 'actions' }, note,
      h('div', { class: 'buttons' }, statusButtons, noteButton),
      admin.length ? h('div', { class: 'buttons admin' }, admin) : null, msg));
  }

  function show(a) {
    current = a;
    const ev = a.evidence || {};
    const dl = (pairs) => h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && !v.length))
      .map(([k, v]) => [h('dt', {}, k), h('dd', { class: 'mono' }, Array.isArray(v) ? v.map((x) => h('span', { class: 'chip' }, x)) : String(v))]));
    clear(root).append(
      h('a', { href: '/alerts', 'data-link': true, class: 'back' }, '← Alerts'),
      h('div', { class: 'detail-head' },
        h('h1', {}, a.rule, ' ', h('span', { class: 'muted' }, a.key)),
        h('div', { class: 'badges' }, badge('sev', a.severity), badge('st', a.status), badge('act', a.action),
          a.assignee ? h('span', { class: 'chip' }, `assigned: ${a.assignee}`) : null),
        h('p', { class: 'muted mono small' }, `${a.id} · raised ${fmtTime(a.raised_at_ms)} on ${a.node || '?'} · mode ${a.mode || ''}`)),
      h('div', { class: 'detail-grid' },
        h('div', {}, actions(a),
          card('Evidence', dl([
            ['callee', ev.callees && ev.callees.length ? ev.callees : a.b_numbers],
            ['callers', ev.callers || a.a_numbers],
            ['sources', (ev.sources || []).filter(Boolean)],
            ['trunk', ev.trunk],
            ['count / threshold', `${ev.count ?? a.count} / ${ev.threshold ?? a.threshold}`],
          ])),
          timeline(a)),
        historyList(a)));
  }

  const off = subscribe((kind, data) => {
    if (kind === 'change' && current && data.alert_id === current.id && !busy) load();
  });
  load();
  return () => off();
}
