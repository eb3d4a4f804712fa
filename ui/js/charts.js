// SPDX-License-Identifier: MIT OR Apache-2.0
// The reports' charts, drawn as SVG: a line chart per hour and bar charts of
// counts. A few dozen to a few hundred marks each: plain SVG needs no library,
// scales with the page, prints, and every mark is an element a test can count.

const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A top for the axis of counts: four equal whole steps (2 → 4, 37 → 40, 1234 → 1600). */
function niceMax(v) {
  if (v <= 0) return 4;
  const want = v / 4;
  const p = 10 ** Math.floor(Math.log10(want));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    const step = m * p;
    if (step >= want && Number.isInteger(step)) return step * 4;
  }
  return 40 * p;
}

const fmt = (n) => (n >= 10000 ? `${Math.round(n / 1000)}k` : n.toLocaleString('en-US'));

function frame(w, hgt, max, label) {
  const svg = el('svg', { viewBox: `0 0 ${w} ${hgt}`, class: 'chart', role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' });
  for (let i = 0; i <= 4; i++) {
    const y = 10 + ((hgt - 40) * i) / 4;
    svg.append(el('line', { x1: 44, x2: w - 8, y1: y, y2: y, class: 'grid' }));
    svg.append(el('text', { x: 40, y: y + 4, class: 'tick', 'text-anchor': 'end' }, fmt(Math.round(max * (1 - i / 4)))));
  }
  return svg;
}

function legend(series) {
  const div = document.createElement('div');
  div.className = 'legend';
  for (const s of series) {
    const i = document.createElement('span');
    i.className = `key ${s.cls}`;
    i.textContent = s.name;
    div.append(i);
  }
  return div;
}

/**
 * Lines over time. `labels`: one text per point (the hour); `series`: [{name, cls, values}].
 * Returns a <figure> holding the SVG and its legend.
 */
export function lineChart(labels, series, label) {
  const W = 640, H = 220;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const svg = frame(W, H, max, label);
  const n = labels.length;
  const x = (i) => 44 + (n <= 1 ? (W - 52) / 2 : (i * (W - 52)) / (n - 1));
  const y = (v) => 10 + (H - 40) * (1 - v / max);
  for (const s of series) {
    const pts = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    svg.append(el('polyline', { points: pts, class: `line ${s.cls}`, 'data-series': s.name, 'data-points': s.values.length }));
    s.values.forEach((v, i) => {
      const c = el('circle', { cx: x(i), cy: y(v), r: n > 60 ? 1.5 : 3, class: `pt ${s.cls}` });
      c.append(el('title', {}, `${labels[i]}: ${v} ${s.name}`));
      svg.append(c);
    });
  }
  const step = Math.max(1, Math.ceil(n / 6));
  labels.forEach((t, i) => {
    if (i % step) return;
    svg.append(el('text', { x: x(i), y: H - 12, class: 'tick', 'text-anchor': 'middle' }, shortLabel(t, n)));
  });
  return figure(svg, legend(series), label);
}

/** "2026-12-03 14:00:00" → "14:00" (with the day when the chart spans days). */
function shortLabel(t, n) {
  const m = String(t).match(/(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})/);
  if (!m) return String(t);
  return n > 24 ? `${m[3]}/${m[2]} ${m[4]}h` : `${m[4]}:${m[5]}`;
}

/** Vertical bars over time (one per hour); `labels` as for lineChart. */
export function columnChart(labels, values, label, cls = 'c-alerts') {
  const W = 640, H = 220;
  const max = niceMax(Math.max(0, ...values));
  const svg = frame(W, H, max, label);
  const n = Math.max(1, labels.length);
  const bw = (W - 52) / n;
  values.forEach((v, i) => {
    const hgt = ((H - 40) * v) / max;
    const r = el('rect', { x: 44 + i * bw + bw * 0.1, y: 10 + (H - 40) - hgt, width: Math.max(1, bw * 0.8), height: hgt, class: `bar ${cls}`, 'data-value': v });
    r.append(el('title', {}, `${labels[i]}: ${v}`));
    svg.append(r);
  });
  const step = Math.max(1, Math.ceil(n / 6));
  labels.forEach((t, i) => {
    if (i % step) return;
    svg.append(el('text', { x: 44 + i * bw + bw / 2, y: H - 12, class: 'tick', 'text-anchor': 'middle' }, shortLabel(t, n)));
  });
  return figure(svg, null, label);
}

/** Horizontal bars: [{label, value, cls?}], largest first. */
export function barChart(items, label) {
  const W = 640, row = 26;
  const H = Math.max(1, items.length) * row + 10;
  const max = niceMax(Math.max(0, ...items.map((i) => i.value)));
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart bars', role: 'img', 'aria-label': label });
  items.forEach((it, i) => {
    const y = 5 + i * row;
    const w = ((W - 260) * it.value) / max;
    svg.append(el('text', { x: 190, y: y + 17, class: 'label', 'text-anchor': 'end' }, it.label));
    const r = el('rect', { x: 200, y: y + 4, width: Math.max(1, w), height: row - 8, class: `bar ${it.cls || 'c-calls'}`, 'data-value': it.value });
    r.append(el('title', {}, `${it.label}: ${it.value}`));
    svg.append(r);
    svg.append(el('text', { x: 206 + w, y: y + 17, class: 'tick' }, fmt(it.value)));
  });
  return figure(svg, null, label);
}

function figure(svg, legendEl, label) {
  const f = document.createElement('figure');
  f.className = 'chart-fig';
  f.append(svg);
  if (legendEl) f.append(legendEl);
  const cap = document.createElement('figcaption');
  cap.textContent = label;
  f.append(cap);
  return f;
}
