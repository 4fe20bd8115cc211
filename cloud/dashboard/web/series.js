// A chart's data with a fixed ceiling: one x column and k y columns holding at most `capacity`
// rows. The column arrays are created once and mutated in place (rows appended at the end,
// the oldest dropped at the front), so a chart left open for an hour holds the same arrays
// and the same number of points as after ten minutes: memory stays flat.

export class ChartData {
  /**
   * @param {number} capacity rows kept
   * @param {number} columns y columns
   */
  constructor(capacity, columns) {
    this.capacity = capacity;
    /** @type {number[]} x in seconds, non-decreasing */
    this.x = [];
    /** @type {(number | null)[][]} */
    this.ys = [];
    for (let c = 0; c < columns; c++) this.ys.push([]);
  }

  get length() {
    return this.x.length;
  }

  /** The value of the newest row in column c (null when that row has none). */
  last(c = 0) {
    const col = this.ys[c];
    return col && col.length > 0 ? (col[col.length - 1] ?? null) : null;
  }

  /**
   * Sets column c at time x: fills the newest row when it has the same x and no value there yet
   * (records of one batch share a receive time), else appends a row. An x older than the newest
   * row is moved up to it, so x never goes backwards.
   * @param {number} x
   * @param {number} c
   * @param {number | null} value
   */
  put(x, c, value) {
    const n = this.x.length;
    const lastX = n > 0 ? this.x[n - 1] : -Infinity;
    const at = Math.max(x, lastX);
    if (n > 0 && at === lastX && this.ys[c][n - 1] == null) {
      this.ys[c][n - 1] = value;
      return;
    }
    this.x.push(at);
    for (let k = 0; k < this.ys.length; k++) this.ys[k].push(k === c ? value : null);
    if (this.x.length > this.capacity) {
      this.x.shift();
      for (const col of this.ys) col.shift();
    }
  }

  /** Adds an empty y column (a new hunger layer) and returns its index. */
  addColumn() {
    this.ys.push(new Array(this.x.length).fill(null));
    return this.ys.length - 1;
  }

  clear() {
    this.x.length = 0;
    for (const col of this.ys) col.length = 0;
  }

  /** The uPlot data: the same arrays every time. */
  data() {
    return [this.x, ...this.ys];
  }
}
