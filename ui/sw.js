// SPDX-License-Identifier: MIT OR Apache-2.0
// The dashboard's service worker: it keeps the app shell (HTML, CSS, JS,
// icons of this version) so the app opens fast and installs on a phone.
// It never stores API answers (/v1/..., /ui/api/..., /ui/session): alerts are
// always read live from acm serve. {{VERSION}} is the binary's asset version.

const VERSION = '{{VERSION}}';
const CACHE = `acm-shell-${VERSION}`;
const BASE = `/ui/v/${VERSION}/`;
const SHELL = ['/', `${BASE}app.css`, `${BASE}icon.svg`, `${BASE}icon-192.png`,
  ...['app', 'api', 'dom', 'alerts', 'detail', 'reports', 'charts', 'lists', 'rules', 'system'].map((m) => `${BASE}js/${m}.js`)];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('acm-shell-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith(BASE)) {
    // Versioned files never change: the cache first.
    e.respondWith(caches.match(req).then((hit) => hit || fetch(req)));
  } else if (req.mode === 'navigate') {
    // Pages: the network first (a new version's shell), the cached shell offline.
    e.respondWith(fetch(req).catch(() => caches.match('/')));
  }
  // Everything else (the APIs, the stream) goes to the network untouched.
});
