/* global document, fetch, window */
// The public status page: current state from /api/health and one-minute samples from /status/history.
// Served as a file (no inline script), so it runs under the app's CSP; all text goes in via textContent.
'use strict';

const REFRESH_MS = 30_000;
const HISTORY_SLOTS = 90;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatDuration(seconds) {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  return `${minutes} min`;
}

function formatPercent(share) {
  return share === null ? 'no data yet' : `${(share * 100).toFixed(share === 1 ? 0 : 2)}%`;
}

async function readHealth() {
  try {
    const response = await fetch('/api/health', { cache: 'no-store' });
    // 503 still carries the body that says which check failed.
    return { reachable: true, body: await response.json() };
  } catch {
    return { reachable: false, body: null };
  }
}

async function readHistory() {
  try {
    const response = await fetch('/status/history', { cache: 'no-store' });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

function renderOverall(health) {
  const box = document.getElementById('overall');
  const state = !health.reachable ? 'down' : health.body.status === 'ok' ? 'ok' : 'degraded';
  box.className = `status-overall status-${state}`;
  document.getElementById('overall-text').textContent = {
    ok: 'All systems operational',
    degraded: 'Degraded: some components are failing',
    down: 'The API is not reachable',
  }[state];
  document.getElementById('updated').textContent = `Last checked ${new Date().toLocaleTimeString()}`;
}

function renderComponents(health) {
  const list = document.getElementById('components');
  list.textContent = '';
  const body = health.body;
  const backlog = body ? body.checks.deliveryBacklog : null;
  const rows = [
    ['API', health.reachable ? 'ok' : 'down', health.reachable ? 'Responding' : 'Not reachable'],
    ['Database', body ? (body.checks.database === 'ok' ? 'ok' : 'down') : 'unknown', body ? (body.checks.database === 'ok' ? 'Connected' : 'Unreachable') : 'Unknown'],
    ['Webhook delivery', backlog === null ? 'unknown' : 'ok', backlog === null ? 'Not reported' : `${backlog} ${backlog === 1 ? 'delivery' : 'deliveries'} waiting`],
  ];
  for (const [name, state, detail] of rows) {
    const item = el('li', 'status-component');
    item.append(el('span', `status-dot status-${state}`), el('strong', '', name), el('span', 'status-muted', detail));
    list.append(item);
  }
  if (body) {
    const meta = el('li', 'status-component status-muted', `Version ${body.version}, up for ${formatDuration(body.uptimeSeconds)}`);
    list.append(meta);
  }
}

function renderHistory(history) {
  const bars = document.getElementById('bars');
  bars.textContent = '';
  if (!history) {
    document.getElementById('uptime').textContent = 'History unavailable.';
    return;
  }
  document.getElementById('uptime').textContent = `Uptime: last hour ${formatPercent(history.uptime.lastHour)}, last 24 hours ${formatPercent(history.uptime.last24Hours)}`;
  const slotMs = history.intervalSeconds * 1000;
  const bySlot = new Map();
  for (const sample of history.samples) bySlot.set(Math.floor(Date.parse(sample.at) / slotMs), sample);
  const nowSlot = Math.floor(Date.now() / slotMs);
  for (let slot = nowSlot - HISTORY_SLOTS + 1; slot <= nowSlot; slot += 1) {
    const sample = bySlot.get(slot);
    const bar = el('span', `status-bar status-${sample ? sample.status : 'none'}`);
    bar.title = sample ? `${new Date(sample.at).toLocaleTimeString()}: ${sample.status}, ${sample.latencyMs} ms` : `${new Date(slot * slotMs).toLocaleTimeString()}: no sample`;
    bars.append(bar);
  }
}

async function refresh() {
  const [health, history] = await Promise.all([readHealth(), readHistory()]);
  renderOverall(health);
  renderComponents(health);
  renderHistory(history);
}

void refresh();
window.setInterval(() => void refresh(), REFRESH_MS);
