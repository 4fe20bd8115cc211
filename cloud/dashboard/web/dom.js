// Small DOM and formatting helpers shared by the dashboard's views.

/**
 * The element with this id (the page's shell always has it).
 * @param {string} id
 * @returns {HTMLElement}
 */
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`dashboard: no #${id} in the page`);
  return el;
}

const ESCAPES = /** @type {Record<string, string>} */ ({
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
});

/**
 * Text made safe for innerHTML (device names, versions and library fields come from the network).
 * @param {unknown} value
 */
export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/**
 * "12 s ago", "3 min ago", "never".
 * @param {number | null | undefined} ms
 * @param {number} now
 */
export function ago(ms, now) {
  if (ms == null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** @param {number | null | undefined} n */
export function bytes(n) {
  if (n == null || !Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}

/**
 * A number in at most `digits` significant digits, '' when absent.
 * @param {unknown} v
 * @param {number} [digits]
 */
export function num(v, digits = 3) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(digits - 1) : String(Number(v.toPrecision(digits)));
}

/**
 * JSON from a same-origin API route; throws with the status and the server's message.
 * @param {string} url
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
export async function getJson(url, init) {
  const res = await fetch(url, { credentials: 'same-origin', ...init });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new HttpError(res.status, body?.error ?? res.statusText);
  return body;
}

/**
 * POSTs JSON; returns the status and body without throwing, so callers can show a refusal.
 * @param {string} url
 * @param {unknown} [payload]
 * @returns {Promise<{ status: number, body: any }>}
 */
export async function postJson(url, payload) {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload ?? {}),
  });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(`${status}: ${message}`);
    this.status = status;
  }
}
