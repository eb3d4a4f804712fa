// SPDX-License-Identifier: MIT OR Apache-2.0
// The dashboard's entry: the session (log in with an API token), the router
// (history API; every page has its own path), the navigation and the live
// stream. Pages are modules with `render(main, params)` returning a cleanup.

import { api, setSession, getSession, whenLoggedOut, startStream, stopStream, onStreamState } from './api.js';
import { h, clear, message } from './dom.js';
import * as alerts from './alerts.js';
import * as detail from './detail.js';
import * as reports from './reports.js';
import * as lists from './lists.js';
import * as rules from './rules.js';
import * as system from './system.js';

const main = document.getElementById('app');
let cleanup = null;
let overview = null;

const ROUTES = [
  [/^\/(alerts)?\/?$/, 'alerts', alerts],
  [/^\/alerts\/([^/]+)$/, 'alerts', detail],
  [/^\/reports\/?$/, 'reports', reports],
  [/^\/lists\/?$/, 'lists', lists],
  [/^\/rules\/?$/, 'rules', rules],
  [/^\/system\/?$/, 'system', system],
];

export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
}

function route() {
  if (cleanup) { try { cleanup(); } catch { /* a page's cleanup never blocks the next */ } }
  cleanup = null;
  clear(main);
  window.scrollTo(0, 0);
  if (!getSession()) { showLogin(); return; }
  const path = location.pathname;
  for (const [re, page, mod] of ROUTES) {
    const m = path.match(re);
    if (m) {
      for (const a of document.querySelectorAll('#nav a')) {
        a.classList.toggle('active', a.dataset.page === page);
        if (a.dataset.page === page) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
      }
      document.title = `acm · ${page}`;
      cleanup = mod.render(main, { id: m[1] ? decodeURIComponent(m[1]) : undefined, overview, navigate }) || null;
      return;
    }
  }
  main.append(h('section', { class: 'pad' }, h('h1', {}, 'No such page'), h('p', {}, h('a', { href: '/alerts', 'data-link': true }, 'Back to the alerts'))));
}

function showChrome(on) {
  document.getElementById('nav').hidden = !on;
  document.getElementById('who').hidden = !on;
  const s = getSession();
  if (on && s) {
    document.getElementById('who-name').textContent = s.name;
    document.getElementById('who-role').textContent = s.role;
  }
}

function showLogin(problem) {
  showChrome(false);
  stopStream();
  clear(main);
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true, placeholder: 'acm_…', 'aria-label': 'API token' });
  const msg = h('div', { class: 'login-msg' }, problem ? message(problem) : null);
  const form = h('form', { class: 'login card', id: 'login-form' },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Use your API token (', h('code', {}, 'acm token new'), '). It is exchanged for a session cookie and not kept in the browser.'),
    h('label', { for: 'token' }, 'API token'), input,
    h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, 'Sign in'), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(msg);
    try {
      const s = await api('/ui/login', { method: 'POST', body: { token: input.value.trim() } });
      input.value = '';
      await start(s);
    } catch (err) {
      msg.append(message(err.status === 401 ? 'Unknown token.' : err.message));
    }
  });
  main.append(h('div', { class: 'login-wrap' }, form));
  input.focus();
}

async function start(s) {
  setSession(s);
  try {
    overview = await api('/ui/api/overview');
  } catch (e) {
    overview = { caller: s, rules: {}, clickhouse: false, shared_lists: false, teardown: false };
  }
  showChrome(true);
  startStream();
  if (location.pathname === '/' || location.pathname === '') history.replaceState(null, '', '/alerts');
  route();
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-link]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', route);

document.getElementById('logout').addEventListener('click', async () => {
  try { await api('/ui/logout', { method: 'POST' }); } catch { /* logged out either way */ }
  setSession(null);
  showLogin();
});

whenLoggedOut(() => showLogin('Your session ended; sign in again.'));

onStreamState((st) => {
  document.body.dataset.stream = st;
});

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => { /* the app works without it */ });
}

(async () => {
  try {
    const s = await api('/ui/session');
    await start(s);
  } catch {
    showLogin();
  }
})();
