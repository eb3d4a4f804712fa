// SPDX-License-Identifier: MIT OR Apache-2.0
// Talking to acm serve: JSON in and out, the session's CSRF token on every
// change, one live stream (SSE) shared by the pages.

let session = null;
let onLoggedOut = () => {};

export function setSession(s) { session = s; }
export function getSession() { return session; }
export function whenLoggedOut(f) { onLoggedOut = f; }

const ROLES = ['viewer', 'analyst', 'admin'];
/** Whether the logged-in user holds at least `role`. */
export function can(role) {
  return !!session && ROLES.indexOf(session.role) >= ROLES.indexOf(role);
}

export class ApiError extends Error {
  constructor(status, data) {
    super((data && (data.reason || data.error)) || `HTTP ${status}`);
    this.status = status;
    this.data = data;
  }
}

export async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && session) headers['X-CSRF-Token'] = session.csrf;
  const r = await fetch(path, {
    method, headers, signal, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await r.json(); } catch { data = null; }
  if (r.status === 401 && session && !path.startsWith('/ui/login')) {
    session = null;
    onLoggedOut();
  }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

// --- the live stream -------------------------------------------------------
const listeners = new Set();
let source = null;
let state = 'off';
const stateListeners = new Set();

function setState(s) {
  state = s;
  for (const f of stateListeners) f(s);
}

export function streamState() { return state; }
export function onStreamState(f) { stateListeners.add(f); f(state); return () => stateListeners.delete(f); }

/** Calls f(kind, data) for every `alert` and `change` event; returns the unsubscribe. */
export function subscribe(f) {
  listeners.add(f);
  return () => listeners.delete(f);
}

export function startStream() {
  if (source) return;
  // EventSource reconnects by itself and sends Last-Event-ID: nothing is missed.
  source = new EventSource('/v1/alerts/stream', { withCredentials: true });
  setState('connecting');
  source.onopen = () => setState('live');
  source.onerror = () => setState(source && source.readyState === EventSource.CLOSED ? 'off' : 'connecting');
  for (const kind of ['alert', 'change']) {
    source.addEventListener(kind, (e) => {
      let data;
      try { data = JSON.parse(e.data); } catch { return; }
      for (const f of listeners) f(kind, data);
    });
  }
}

export function stopStream() {
  if (source) source.close();
  source = null;
  setState('off');
}
