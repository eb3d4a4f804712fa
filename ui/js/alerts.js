// SPDX-License-Identifier: MIT OR Apache-2.0
// Live alerts: filters (status, severity, rule, time), search by number or id,
// a list fed page by page from the server (cursor paging, 500 at a time) and
// kept current by the live stream, drawn as a window: only the rows in view
// (plus a few) exist in the page, so 10,000 alerts cost what 40 do.

import { api, subscribe, onStreamState } from './api.js';
import { h, clear, fmtShort, fmtTime, badge, message } from './dom.js';

const PAGE = 500;
const OVERSCAN = 8;
const STATUSES = ['new', 'investigating', 'resolved', 'false_positive'];
const SEVERITIES = ['critical', 'high', 'medium', 'low'];
const SINCE = [['', 'any time'], ['3600', 'last hour'], ['21600', 'last 6 h'], ['86400', 'last 24 h'], ['604800', 'last 7 days']];

// Kept across visits to the page (back from a detail keeps the filters).
const filters = { status: '', severity: '', rule: '', since: '', field: 'number', q: '' };

// The slow tier keys on "trunk:T|+B" (one ingress, one callee): shown as callee +B, trunk T;
// quiet_fanin on "*|+B" (every ingress).
function splitKey(a) {
  const [route, number] = a.key.includes('|') ? a.key.split('|', 2) : ['', a.key];
  return { route: route === '*' ? 'every route' : route.replace(/^(trunk|source):/, ''), number };
}
function callee(a) {
  if (!a.rule.startsWith('distinct_callers')) return (a.b_numbers && a.b_numbers[0]) || '';
  return splitKey(a).number;
}
function trunk(a) {
  if (a.rule === 'cli_rotation' || a.rule === 'intl_ingress_local_cli') return a.key.replace(/^(trunk|source):/, '');
  if (a.key.includes('|')) return splitKey(a).route;
  return (a.sources || []).slice(0, 2).map((s) => s.replace(/^(trunk|source):/, '')).join(', ');
}
function callers(a) {
  const n = (a.a_numbers || []).length;
  if (n === 0) return a.rule === 'cli_fanout' || a.rule === 'cli_velocity' ? a.key : '';
  return n === 1 ? a.a_numbers[0] : `${n}: ${a.a_numbers.slice(0, 2).join(', ')}${n > 2 ? ', …' : ''}`;
}

/** Whether a streamed alert belongs in the list the filters ask for. */
function passes(a) {
  if (filters.status && a.status !== filters.status) return false;
  if (filters.severity && a.severity !== filters.severity) return false;
  if (filters.rule && a.rule !== filters.rule) return false;
  if (filters.since && a.raised_at_ms < Date.now() - Number(filters.since) * 1000) return false;
  if (filters.q && filters.field === 'number') {
    const q = filters.q;
    if (!(a.a_numbers || []).includes(q) && callee(a) !== q && a.key !== q) return false;
  }
  return true;
}

function query(cursor) {
  const p = new URLSearchParams({ limit: String(PAGE) });
  if (filters.status) p.set('status', filters.status);
  if (filters.severity) p.set('severity', filters.severity);
  if (filters.rule) p.set('rule', filters.rule);
  if (filters.since) p.set('since', String(Date.now() - Number(filters.since) * 1000));
  if (cursor) p.set('cursor', cursor);
  return p;
}

export function render(main, { overview, navigate }) {
  let items = [];
  const byId = new Map();
  const fresh = new Set();
  let cursors = [];   // one list per number query (caller and callee), or one
  let loading = false;
  let generation = 0;
  let rowH = 44;
  let drawn = '';

  const ruleNames = Object.keys((overview && overview.rules) || {}).filter((r) => r !== 'learn');
  const select = (name, options, label) => {
    const s = h('select', { name, id: `f-${name}`, 'aria-label': label },
      options.map(([v, t]) => h('option', { value: v }, t)));
    s.value = filters[name];
    s.addEventListener('change', () => { filters[name] = s.value; reload(); });
    return s;
  };
  const search = h('input', { type: 'search', id: 'f-q', name: 'q', placeholder: 'number (+234…) or alert id', value: filters.q, 'aria-label': 'Search by number or alert id', inputmode: 'search' });
  const form = h('form', { class: 'filters', role: 'search' },
    select('status', [['', 'any status'], ...STATUSES.map((s) => [s, s.replace('_', ' ')])], 'Status'),
    select('severity', [['', 'any severity'], ...SEVERITIES.map((s) => [s, s])], 'Severity'),
    select('rule', [['', 'any rule'], ...ruleNames.map((r) => [r, r])], 'Rule'),
    select('since', SINCE, 'Time'),
    h('div', { class: 'search' }, search, h('button', { type: 'submit' }, 'Search')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = search.value.trim();
    // An alert id (rule tag, time, hash) opens the alert; anything else is a number.
    if (/^[a-z]{2,4}-[0-9a-f]+-[0-9a-f]+$/.test(q)) {
      try {
        await api(`/v1/alerts/${encodeURIComponent(q)}`);
        navigate(`/alerts/${encodeURIComponent(q)}`);
      } catch (err) {
        status.replaceChildren(message(err.status === 404 ? `No alert ${q}.` : err.message));
      }
      return;
    }
    filters.q = q;
    filters.field = 'number';
    reload();
  });

  const live = h('span', { class: 'live', id: 'live' }, 'connecting');
  const count = h('span', { class: 'count', id: 'count' });
  const status = h('div', { class: 'list-status' });
  const spacer = h('div', { class: 'spacer', id: 'rows' });
  const viewport = h('div', { class: 'viewport', id: 'alert-list', tabindex: '0', role: 'list', 'aria-label': 'Alerts, newest first' }, spacer);
  const head = h('div', { class: 'row head', 'aria-hidden': 'true' },
    h('span', { class: 'c-time' }, 'raised'), h('span', { class: 'c-sev' }, 'severity'), h('span', { class: 'c-rule' }, 'rule'),
    h('span', { class: 'c-callee' }, 'callee'), h('span', { class: 'c-callers' }, 'callers'), h('span', { class: 'c-trunk' }, 'trunk / source'),
    h('span', { class: 'c-status' }, 'status'));
  main.append(h('section', { class: 'alerts-page' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Alerts'), live, count), form, status,
    h('div', { class: 'list' }, head, viewport)));

  const offState = onStreamState((st) => { live.textContent = st === 'live' ? 'live' : st; live.dataset.state = st; });

  function rowFor(a, i) {
    const cls = `row sev-${a.severity}${fresh.has(a.id) ? ' fresh' : ''}`;
    return h('a', { class: cls, href: `/alerts/${encodeURIComponent(a.id)}`, 'data-link': true, 'data-id': a.id, role: 'listitem', style: `transform:translateY(${i * rowH}px)` },
      h('span', { class: 'c-time', title: fmtTime(a.raised_at_ms) }, fmtShort(a.raised_at_ms)),
      h('span', { class: 'c-sev' }, badge('sev', a.severity)),
      h('span', { class: 'c-rule' }, a.rule, a.action === 'block' ? h('span', { class: 'act' }, ' block') : null),
      h('span', { class: 'c-callee mono' }, callee(a)),
      h('span', { class: 'c-callers mono' }, callers(a)),
      h('span', { class: 'c-trunk mono' }, trunk(a)),
      h('span', { class: 'c-status' }, badge('st', a.status)));
  }

  function draw(force) {
    rowH = parseFloat(getComputedStyle(viewport).getPropertyValue('--row-h')) || 44;
    spacer.style.height = `${items.length * rowH}px`;
    const top = viewport.scrollTop;
    const first = Math.max(0, Math.floor(top / rowH) - OVERSCAN);
    const last = Math.min(items.length, Math.ceil((top + viewport.clientHeight) / rowH) + OVERSCAN);
    const key = `${first}:${last}:${items.length}:${rowH}`;
    if (!force && key === drawn) return;
    drawn = key;
    const rows = [];
    for (let i = first; i < last; i++) rows.push(rowFor(items[i], i));
    spacer.replaceChildren(...rows);
    count.textContent = `${items.length.toLocaleString('en-US')}${cursors.some(Boolean) ? '+' : ''} shown`;
    if (items.length === 0 && !loading) {
      status.replaceChildren(h('p', { class: 'muted' }, 'No alerts match.'));
    } else if (status.firstChild && status.firstChild.classList && status.firstChild.classList.contains('muted')) {
      clear(status);
    }
    if (last > items.length - 100) loadMore();
  }

  let frame = 0;
  const onScroll = () => { if (!frame) frame = requestAnimationFrame(() => { frame = 0; draw(false); }); };
  viewport.addEventListener('scroll', onScroll, { passive: true });
  window.addEventListener('resize', onScroll);

  function add(list) {
    for (const a of list) {
      if (byId.has(a.id)) continue;
      byId.set(a.id, a);
      items.push(a);
    }
  }

  async function fetchPage(gen, which) {
    const p = query(cursors[which] === true ? null : cursors[which]);
    if (filters.q) p.set(which === 0 ? 'b_number' : 'a_number', filters.q);
    const page = await api(`/v1/alerts?${p}`);
    if (gen !== generation) return;
    cursors[which] = page.next_cursor || null;
    add(page.alerts);
  }

  async function loadMore() {
    if (loading || !cursors.some(Boolean)) return;
    loading = true;
    const gen = generation;
    try {
      await Promise.all(cursors.map((c, i) => (c ? fetchPage(gen, i) : null)));
      if (gen !== generation) return;
      if (filters.q) items.sort((x, y) => y.raised_at_ms - x.raised_at_ms || (y.id < x.id ? -1 : 1));
    } catch (e) {
      status.replaceChildren(message(`Could not load alerts: ${e.message}`));
    } finally {
      if (gen === generation) { loading = false; draw(true); }
    }
  }

  function reload() {
    generation += 1;
    items = [];
    byId.clear();
    loading = false;
    // A number is looked up as callee and as caller: two lists, merged.
    cursors = filters.q ? [true, true] : [true];
    clear(status);
    viewport.scrollTop = 0;
    drawn = '';
    draw(true);
  }

  const off = subscribe((kind, data) => {
    if (kind === 'alert') {
      const a = { ...data, status: data.status || 'new' };
      if (byId.has(a.id) || !passes(a)) return;
      byId.set(a.id, a);
      // Newest first: find its place (streamed alerts are nearly always the newest).
      let i = 0;
      while (i < items.length && items[i].raised_at_ms > a.raised_at_ms) i++;
      items.splice(i, 0, a);
      fresh.add(a.id);
      setTimeout(() => { fresh.delete(a.id); draw(true); }, 4000);
      // Keep what the reader looks at still when a row lands above it.
      if (viewport.scrollTop > 0 && i * rowH < viewport.scrollTop) viewport.scrollTop += rowH;
      draw(true);
    } else if (kind === 'change' && data.alert_id && byId.has(data.alert_id)) {
      const a = byId.get(data.alert_id);
      if (data.status) a.status = data.status;
      if (filters.status && a.status !== filters.status) {
        items = items.filter((x) => x !== a);
        byId.delete(a.id);
      }
      draw(true);
    }
  });

  reload();
  return () => {
    off(); offState();
    generation += 1;
    window.removeEventListener('resize', onScroll);
    if (frame) cancelAnimationFrame(frame);
  };
}
