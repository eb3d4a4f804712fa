// SPDX-License-Identifier: MIT OR Apache-2.0
// Allow and deny lists: numbers, prefixes, sources (IPs, CIDRs) and trunks.
// Admins see the lists shared through the store (/v1/admin/lists) and add or
// remove entries; everyone sees the config file's [lists], which always apply.

import { api, can } from './api.js';
import { h, clear, card, message } from './dom.js';

const LISTS = [
  ['deny_a_numbers', 'Denied callers (A-numbers, prefixes ending in *)'],
  ['deny_sources', 'Denied sources (IPs, CIDRs)'],
  ['deny_trunks', 'Denied trunks'],
  ['allow_a_numbers', 'Allowed callers'],
  ['allow_b_numbers', 'Allowed callees (hotlines, bridges)'],
  ['allow_sources', 'Allowed sources'],
  ['allow_trunks', 'Allowed trunks'],
];

export function render(main, { overview }) {
  const body = h('div', { id: 'lists' });
  main.append(h('section', { class: 'lists-page' }, h('div', { class: 'page-head' }, h('h1', {}, 'Lists')), body));
  let alive = true;

  async function load() {
    clear(body);
    let cfg = null;
    try { cfg = (await api('/ui/api/config')).config; } catch { cfg = null; }
    let shared = null, problem = null;
    if (can('admin') && overview && overview.shared_lists) {
      try { shared = await api('/v1/admin/lists'); } catch (e) { problem = e.message; }
    } else if (can('admin')) {
      problem = 'Shared lists need store.kind = "redis" or [store] lists_file: only the config file\'s lists apply.';
    } else {
      problem = 'The lists shared through the store are shown to admins, who can change them.';
    }
    if (!alive) return;
    if (problem) body.append(message(problem, 'info'));
    const grid = h('div', { class: 'grid2' });
    for (const [name, title] of LISTS) {
      const fromCfg = (cfg && cfg.lists && cfg.lists[name]) || [];
      const live = shared ? (shared.lists[name] || []) : null;
      grid.append(listCard(name, title, live, fromCfg));
    }
    body.append(grid);
    if (shared) body.append(h('p', { class: 'muted small' }, `shared lists version ${shared.version}`));
  }

  function listCard(name, title, live, fromCfg) {
    const msg = h('div', {});
    const entries = h('ul', { class: 'entries', 'data-list': name });
    for (const e of live || []) {
      entries.append(h('li', { class: 'chip' }, h('span', { class: 'mono' }, e),
        h('button', { type: 'button', class: 'x', title: `Remove ${e}`, 'aria-label': `Remove ${e}`, onclick: () => change(name, 'DELETE', [e], msg) }, '×')));
    }
    for (const e of fromCfg) entries.append(h('li', { class: 'chip cfg', title: 'from the config file' }, h('span', { class: 'mono' }, e)));
    if (!entries.firstChild) entries.append(h('li', { class: 'muted' }, 'empty'));
    let form = null;
    if (live) {
      const input = h('input', { name: 'entry', placeholder: 'entries, comma separated', 'aria-label': `Add to ${name}` });
      form = h('form', { class: 'add' }, input, h('button', { type: 'submit' }, 'Add'));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const items = input.value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
        if (items.length) change(name, 'POST', items, msg);
      });
    }
    return card(title, entries, form, msg);
  }

  async function change(name, method, entries, msg) {
    clear(msg);
    try {
      await api(`/v1/admin/lists/${name}`, { method, body: { entries } });
      load();
    } catch (e) {
      msg.append(message(e.message));
    }
  }

  load();
  return () => { alive = false; };
}
