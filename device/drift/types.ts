/**
 * The contract between drift detectors and their callers (the device CLI, DriftMonitor): a
 * detector consumes one scalar per step and answers with an event when it decides the stream's
 * distribution has changed.
 */

/** One detection: the statistic that crossed its threshold, and the detector's state then. */
export interface DriftEvent {
  readonly step: number;
  readonly detector: string;
  readonly statistic: number;
  readonly threshold: number;
  readonly state: Readonly<Record<string, number>>;
}

export interface DriftDetector {
  readonly name: string;
  /** Feed one value (non-finite values are counted and ignored); an event when drift is detected. */
  update(value: number, step: number): DriftEvent | null;
  /** A snapshot of the detector's statistics (a fresh object). */
  state(): Record<string, number>;
  /** Forget everything seen so far (the ignored count included). */
  reset(): void;
}
