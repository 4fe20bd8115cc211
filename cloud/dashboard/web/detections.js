// The selected voice device's spotted keywords (evt/detection telemetry, newest first): when,
// which word, how sure the detector was and where in the device's audio it fired.
import { esc } from './dom.js';

/** Detections kept on the page. */
export const DETECTIONS_KEPT = 50;

/** @typedef {{ x: number, word?: unknown, confidence?: unknown, audioS?: unknown }} DetectionPoint */

export class DetectionsView {
  /** @param {HTMLElement} list @param {HTMLElement} caption */
  constructor(list, caption) {
    this.list = list;
    this.caption = caption;
    /** @type {DetectionPoint[]} */
    this.points = [];
    this.total = 0;
  }

  reset() {
    this.points = [];
    this.total = 0;
    this.render();
  }

  /** @param {DetectionPoint[]} points */
  add(points) {
    const valid = points.filter((p) => typeof p.word === 'string' && typeof p.confidence === 'number');
    if (valid.length === 0) return;
    this.total += valid.length;
    this.points = [...this.points, ...valid].sort((a, b) => b.x - a.x).slice(0, DETECTIONS_KEPT);
    this.render();
  }

  render() {
    this.caption.textContent = `keyword detections${this.total ? ` (${this.total})` : ''}`;
    this.list.innerHTML = this.points.length
      ? this.points
          .map(
            (p) =>
              `<li><time>${esc(new Date(p.x).toLocaleTimeString())}</time> <b class="word">${esc(String(p.word))}</b>` +
              ` <span class="confidence">${(/** @type {number} */ (p.confidence) * 100).toFixed(0)}%</span>` +
              (typeof p.audioS === 'number'
                ? ` <span class="audio">at ${p.audioS.toFixed(1)} s</span>`
                : '') +
              '</li>',
          )
          .join('')
      : '<li class="none">none yet (voice models report the keywords they spot)</li>';
  }
}
