// SPDX-License-Identifier: MIT OR Apache-2.0
// Rules and config, read only: each rule's settings, then the whole config as
// `acm check-config` prints it (every default filled in, secrets redacted).

import { api } from './api.js';
import { h, clear, card, message } from './dom.js';

function flat(obj, prefix = '') {
  const out = [];
  for (const [k, v] of Object.entries(obj || {})) {
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...flat(v, `${prefix}${k}.`));
    else out.push([`${prefix}${k}`, Array.isArray(v) ? v.join(', ') : String(v)]);
  }
  return out;
}

export function render(main) {
  const body = h('div', { id: 'rules' });
  main.append(h('section', { class: 'rules-page' }, h('div', { class: 'page-head' }, h('h1', {}, 'Rules and config')), body));
  (async () => {
    let c;
    try { c = await api('/ui/api/config'); } catch (e) { body.append(message(e.message)); return; }
    clear(body);
    const cfg = c.config || {};
    const sev = (cfg.alerts && cfg.alerts.severity) || {};
    body.append(h('p', { class: 'muted' }, `mode ${cfg.mode} · loaded ${c.loaded_at}${c.path ? ` from ${c.path}` : ' (defaults and environment)'}`));
    const grid = h('div', { class: 'grid2' });
    for (const [name, r] of Object.entries(cfg.rules || {})) {
      if (!r || typeof r !== 'object') continue;
      grid.append(card(null, h('h2', {}, name, ' ', sev[name] ? h('span', { class: `badge sev-${sev[name]}` }, sev[name]) : null),
        h('dl', { class: 'facts' }, flat(r).map(([k, v]) => [h('dt', {}, k), h('dd', { class: 'mono' }, v)]))));
    }
    body.append(grid,
      card('Configuration (secrets redacted)', h('details', {}, h('summary', {}, 'acm check-config'), h('pre', { class: 'toml', id: 'config-toml' }, c.toml))));
  })();
}
