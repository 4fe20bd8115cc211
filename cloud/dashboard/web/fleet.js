// The fleet table: every device with its connection state, when it was last heard from, its
// profile and installed library and model versions, with a text and state filter. A full
// render is one innerHTML assignment of the visible rows (500 rows take a few ms); live updates
// replace single rows, and the "last seen" cells are re-labelled in place every few seconds.
import { ago, esc } from './dom.js';

/**
 * @typedef {{ fleet: string, id: string, state: string, online: boolean, lastSeenMs: number | null,
 *   libraryVersion: string | null, modelVersion: string | null, runtime: string | null,
 *   profile: string | null, boot: number | null }} Device
 */

/** @param {Device} d */
export const deviceKey = (d) => `${d.fleet}/${d.id}`;

const STATES = ['online', 'offline', 'lost', 'unknown'];

export class FleetTable {
  /**
   * @param {HTMLTableSectionElement} tbody
   * @param {HTMLElement} counts
   * @param {(key: string) => void} onSelect
   */
  constructor(tbody, counts, onSelect) {
    this.tbody = tbody;
    this.counts = counts;
    /** @type {Map<string, Device>} */
    this.devices = new Map();
    /** @type {string | null} */
    this.selected = null;
    this.text = '';
    this.state = '';
    tbody.addEventListener('click', (ev) => {
      const row = /** @type {HTMLElement | null} */ (
        ev.target instanceof Element ? ev.target.closest('tr') : null
      );
      const key = row?.dataset.key;
      if (key) onSelect(key);
    });
  }

  /** @param {Device[]} list */
  setAll(list) {
    this.devices.clear();
    for (const d of list) this.devices.set(deviceKey(d), d);
    this.render();
  }

  /** @param {Device[]} list changed records */
  update(list) {
    let full = false;
    for (const d of list) {
      const key = deviceKey(d);
      this.devices.set(key, d);
      const row = this.#row(key);
      const match = this.#matches(d);
      if (row && match) row.outerHTML = this.#rowHtml(d, Date.now());
      else if (row || match) full = true; // the row appears or disappears
    }
    if (full) this.render();
    else this.#renderCounts();
  }

  /**
   * Devices heard from (telemetry) since the last update: move their "last seen" forward.
   * @param {Record<string, number>} seen
   */
  seen(seen) {
    const now = Date.now();
    for (const [key, ms] of Object.entries(seen)) {
      const d = this.devices.get(key);
      if (!d || (d.lastSeenMs ?? 0) >= ms) continue;
      this.devices.set(key, { ...d, lastSeenMs: ms });
      const cell = this.#row(key)?.querySelector('.seen');
      if (cell instanceof HTMLElement) {
        cell.dataset.ms = String(ms);
        cell.textContent = ago(ms, now);
      }
    }
  }

  /** @param {string} text @param {string} state */
  filter(text, state) {
    this.text = text.trim().toLowerCase();
    this.state = state;
    this.render();
  }

  /** @param {string | null} key */
  select(key) {
    if (this.selected) this.#row(this.selected)?.classList.remove('selected');
    this.selected = key;
    if (key) this.#row(key)?.classList.add('selected');
  }

  render() {
    const now = Date.now();
    const html = [];
    for (const d of this.devices.values()) if (this.#matches(d)) html.push(this.#rowHtml(d, now));
    this.tbody.innerHTML = html.join('');
    this.tbody.dataset.rows = String(html.length);
    this.#renderCounts();
  }

  /** Re-labels "last seen" without rebuilding rows. */
  refreshTimes() {
    const now = Date.now();
    for (const cell of this.tbody.querySelectorAll('td.seen')) {
      const ms = Number(/** @type {HTMLElement} */ (cell).dataset.ms);
      if (ms > 0) cell.textContent = ago(ms, now);
    }
  }

  #renderCounts() {
    /** @type {Record<string, number>} */
    const by = {};
    for (const d of this.devices.values()) by[d.state] = (by[d.state] ?? 0) + 1;
    const parts = STATES.filter((s) => by[s]).map((s) => `<span class="state ${s}">${by[s]} ${s}</span>`);
    this.counts.innerHTML = `${this.devices.size} devices ${parts.join(' ')}`;
  }

  /** @param {string} key */
  #row(key) {
    return /** @type {HTMLElement | null} */ (this.tbody.querySelector(`tr[data-key="${CSS.escape(key)}"]`));
  }

  /** @param {Device} d */
  #matches(d) {
    if (this.state && d.state !== this.state) return false;
    if (!this.text) return true;
    const hay =
      `${d.fleet}/${d.id} ${d.state} ${d.profile ?? ''} ${d.libraryVersion ?? ''} ${d.modelVersion ?? ''} ${d.runtime ?? ''}`.toLowerCase();
    return this.text.split(/\s+/).every((t) => hay.includes(t));
  }

  /** @param {Device} d @param {number} now */
  #rowHtml(d, now) {
    const key = deviceKey(d);
    const sel = key === this.selected ? ' class="selected"' : '';
    const state = STATES.includes(d.state) ? d.state : 'unknown';
    return (
      `<tr data-key="${esc(key)}"${sel}><td><span class="muted">${esc(d.fleet)}/</span>${esc(d.id)}</td>` +
      `<td><span class="state ${state}">${state}</span></td>` +
      `<td class="seen" data-ms="${d.lastSeenMs ?? ''}">${ago(d.lastSeenMs, now)}</td>` +
      `<td>${esc(d.profile ?? '')}</td><td>${esc(d.libraryVersion ?? '')}</td>` +
      `<td>${esc(d.modelVersion ?? '')}</td><td>${esc(d.runtime ?? '')}</td></tr>`
    );
  }
}
