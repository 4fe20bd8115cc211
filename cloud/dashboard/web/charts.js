// Per-device live charts (uPlot): error, drift statistic against its threshold, hunger entropy
// per layer, mean τ and step latency. Points arrive as {x: receive time in ms, ...fields} from the history
// request and from the live feed; each chart keeps at most CAPACITY rows (series.js) and is
// redrawn once per batch, so an hour of updates costs neither memory nor layout.

import { num } from './dom.js';
import { ChartData } from './series.js';

/** Rows per chart: 20 minutes at one row a second. */
export const CAPACITY = 1200;
/** Hunger layers drawn (more are rare; they are left out rather than crowding the legend). */
export const MAX_LAYERS = 8;
/** Plot height in CSS pixels (the legend comes below). */
const HEIGHT = 160;
const COLORS = ['#1f6fb4', '#d1495b', '#2a9d3f', '#8a4fbf', '#e08a1e', '#17a2b8', '#7a5c3e', '#555'];

/** @typedef {{ label: string, stroke: string, dash?: number[] }} SeriesDef */
/** @typedef {Record<string, number | string | boolean | undefined> & { x: number }} Point */

/**
 * "14:05" (or "14:05:30" when ticks are closer than a minute) for an x in seconds.
 * @param {number} s
 */
function clock(s) {
  const d = new Date(s * 1000);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return d.getSeconds() === 0 ? hm : `${hm}:${String(d.getSeconds()).padStart(2, '0')}`;
}

/** @returns {typeof import('uplot') | undefined} */
function uPlotClass() {
  return Reflect.get(globalThis, 'uPlot');
}

class LiveChart {
  /**
   * @param {HTMLElement} el
   * @param {SeriesDef[]} series
   */
  constructor(el, series) {
    this.el = el;
    this.defs = series;
    this.data = new ChartData(CAPACITY, series.length);
    /** @type {import('uplot') | null} */
    this.plot = null;
    this.dirty = false;
    this.#build();
  }

  #build() {
    this.plot?.destroy();
    this.plot = null;
    const UPlot = uPlotClass();
    if (!UPlot) return;
    const width = Math.max(200, this.el.clientWidth || 320);
    /** @type {import('uplot').Options} */
    const opts = {
      width,
      height: HEIGHT,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { size: 24, font: '10px sans-serif', ticks: { size: 4 }, values: (_u, vals) => vals.map(clock) },
        { size: 46, font: '10px sans-serif', values: (_u, vals) => vals.map((v) => num(v, 2)) },
      ],
      series: [
        {},
        ...this.defs.map((d) => ({
          label: d.label,
          stroke: d.stroke,
          width: 1.5,
          spanGaps: true,
          points: { show: false },
          ...(d.dash ? { dash: d.dash } : {}),
        })),
      ],
    };
    this.plot = new UPlot(opts, /** @type {import('uplot').AlignedData} */ (this.data.data()), this.el);
  }

  /**
   * @param {number} x ms
   * @param {number} c
   * @param {number | null} value
   */
  put(x, c, value) {
    this.data.put(x / 1000, c, value);
    this.dirty = true;
  }

  /** Adds a y series (a hunger layer seen for the first time). */
  /** @param {SeriesDef} def */
  addSeries(def) {
    this.defs.push(def);
    this.data.addColumn();
    this.#build();
  }

  /** @param {SeriesDef[]} series */
  reset(series) {
    this.defs = series;
    this.data = new ChartData(CAPACITY, series.length);
    this.#build();
    this.dirty = true;
  }

  redraw() {
    if (!this.dirty) return;
    this.dirty = false;
    this.plot?.setData(/** @type {import('uplot').AlignedData} */ (this.data.data()));
    this.el.dataset.points = String(this.data.length);
    const last = this.data.last(0);
    this.el.dataset.last = last == null ? '' : String(last);
  }

  resize() {
    const w = this.el.clientWidth;
    if (this.plot && w > 0 && Math.abs(w - this.plot.width) > 2) {
      this.plot.setSize({ width: w, height: HEIGHT });
    }
  }
}

const errorSeries = () => [{ label: 'mse', stroke: COLORS[0] }];
const driftSeries = () => [
  { label: 'statistic', stroke: COLORS[1] },
  { label: 'threshold', stroke: '#888', dash: [4, 4] },
];
const tauSeries = () => [{ label: 'τ mean', stroke: COLORS[2] }];
const latencySeries = () => [
  { label: 'p50', stroke: COLORS[0] },
  { label: 'p99', stroke: COLORS[4] },
  // the profile's stepLatencyBudgetUs: a p50 above it is a reported miss, the device keeps running
  { label: 'budget', stroke: '#888', dash: [4, 4] },
];

/** The charts of the selected device. */
export class DeviceCharts {
  /**
   * @param {{ error: HTMLElement, drift: HTMLElement, hunger: HTMLElement, tau: HTMLElement,
   *   latency: HTMLElement }} els
   */
  constructor(els) {
    this.error = new LiveChart(els.error, errorSeries());
    this.drift = new LiveChart(els.drift, driftSeries());
    this.hunger = new LiveChart(els.hunger, []);
    this.tau = new LiveChart(els.tau, tauSeries());
    this.latency = new LiveChart(els.latency, latencySeries());
    /** @type {Map<number, number>} hunger layer → column */
    this.layers = new Map();
    const all = [this.error, this.drift, this.hunger, this.tau, this.latency];
    this.all = all;
    if (typeof ResizeObserver !== 'undefined') {
      const ro = new ResizeObserver(() => {
        for (const c of all) c.resize();
      });
      for (const c of all) ro.observe(c.el);
    }
  }

  /** Empties every chart (another device was selected). */
  reset() {
    this.error.reset(errorSeries());
    this.drift.reset(driftSeries());
    this.hunger.reset([]);
    this.tau.reset(tauSeries());
    this.latency.reset(latencySeries());
    this.layers.clear();
    this.redraw();
  }

  /**
   * @param {'perf' | 'drift' | 'hunger'} kind
   * @param {Point[]} points oldest first
   */
  add(kind, points) {
    for (const p of points) {
      if (kind === 'perf') {
        if (typeof p.mse === 'number') this.error.put(p.x, 0, p.mse);
        if (typeof p.tauMean === 'number') this.tau.put(p.x, 0, p.tauMean);
        if (typeof p.p50Us === 'number') this.latency.put(p.x, 0, p.p50Us);
        if (typeof p.p99Us === 'number') this.latency.put(p.x, 1, p.p99Us);
        if (typeof p.budgetUs === 'number') this.latency.put(p.x, 2, p.budgetUs);
      } else if (kind === 'drift') {
        if (typeof p.statistic === 'number') this.drift.put(p.x, 0, p.statistic);
        if (typeof p.threshold === 'number') this.drift.put(p.x, 1, p.threshold);
      } else if (typeof p.layer === 'number' && typeof p.entropy === 'number') {
        const column = this.#layerColumn(p.layer);
        if (column !== null) this.hunger.put(p.x, column, p.entropy);
      }
    }
  }

  /** @param {number} layer */
  #layerColumn(layer) {
    const known = this.layers.get(layer);
    if (known !== undefined) return known;
    if (this.layers.size >= MAX_LAYERS) return null;
    const column = this.layers.size;
    this.hunger.addSeries({ label: `layer ${layer}`, stroke: COLORS[column % COLORS.length] });
    this.layers.set(layer, column);
    return column;
  }

  redraw() {
    for (const c of this.all) c.redraw();
  }
}
