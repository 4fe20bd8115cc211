/**
 * Coordinate descent over hard choices: for each layer in turn (last first: its candidates are
 * the cheapest to score), try every library entry with the other layers fixed, each from the
 * affine the model stores for it and from the entry's natural affine, refit the readout and score
 * on held-out rows; keep the best. Further sweeps while something improved and time is left,
 * then a small grid on the winners' input scale. The clock is checked before every candidate. A
 * layer is not visited again while no other layer has changed since its last visit: that visit
 * would score the same features again (the second sweep after a change in the last layer alone
 * costs nothing).
 *
 * Candidates run on CompiledForward (the compiled engine's float32 kernels; FastForward, float64,
 * on request), which caches each layer's drive for the current choices, so a candidate for
 * layer i recomputes layers i..L-1 alone.
 */
import { type HybridModel, layerCandidates, param } from '../../shared/model/model.js';
import type { SequenceSet } from './buffer.js';
import { CompiledForward } from './compiled-forward.js';
import { type CandidateForward, FastForward } from './forward.js';
import type { ReadoutScorer, Scored } from './score.js';
import type { LayerChoice } from './submodel.js';

/**
 * What candidates are scored with: the compiled engine's float32 kernels, or the float64 loops
 * that follow the reference runner's arithmetic (kept to check and to measure against).
 */
export type SelectionKernels = 'compiled' | 'float64';

export type HardChoice = { readonly k: number; readonly affine: Float64Array };

export interface LayerRecord {
  /** Loss of the current choices just before this layer's first visit. */
  lossBefore: number;
  /** Loss after this layer's last visit. */
  lossAfter: number;
  /** Best and worst finite held-out loss over the entries at the last visit. */
  bestLoss: number;
  worstLoss: number;
  visited: boolean;
}

function sameAffine(x: Float64Array, y: Float64Array): boolean {
  for (let j = 0; j < 4; j++) if (x[j] !== y[j]) return false;
  return true;
}

export class SelectionSearch {
  readonly model: HybridModel;
  readonly scorer: ReadoutScorer;
  choices: HardChoice[];
  best: Scored;
  candidates = 0;
  exhausted = false;
  readonly records: LayerRecord[];
  /** The buffer as streams, the scaled inputs and each stream's starting state the search runs on. */
  readonly set: SequenceSet;
  readonly scaledInputs: Float64Array;
  readonly initialState: Float64Array | null;
  private readonly forward: CandidateForward;
  private readonly outOfTime: () => boolean;
  /** Event clock: when each layer's choice last changed, and when each layer was last visited (0: never). */
  private clock = 0;
  private readonly changedAt: number[];
  private readonly visitedAt: number[];
  /** Visits skipped because nothing they depend on changed since the layer's last visit. */
  skippedVisits = 0;

  constructor(
    model: HybridModel,
    set: SequenceSet,
    scorer: ReadoutScorer,
    scaledInputs: Float64Array,
    start: HardChoice[],
    outOfTime: () => boolean,
    initialState: Float64Array | null = null,
    kernels: SelectionKernels = 'compiled',
  ) {
    this.model = model;
    this.scorer = scorer;
    this.set = set;
    this.scaledInputs = scaledInputs;
    this.initialState = initialState;
    this.outOfTime = outOfTime;
    const Forward = kernels === 'compiled' ? CompiledForward : FastForward;
    this.forward = new Forward(model, set, scaledInputs, start, initialState);
    this.choices = start;
    this.records = model.layers.map(() => ({
      lossBefore: Infinity,
      lossAfter: Infinity,
      bestLoss: Infinity,
      worstLoss: Infinity,
      visited: false,
    }));
    this.changedAt = model.layers.map(() => 0);
    this.visitedAt = model.layers.map(() => 0);
    this.best = this.scoreLayer(0, start[0]!);
  }

  /** Score layer i set to `choice`, the others as they are. */
  scoreLayer(i: number, choice: LayerChoice): Scored {
    this.candidates++;
    return this.scorer.score(this.forward.evaluate(i, choice));
  }

  private adopt(i: number, choice: HardChoice, scored: Scored): void {
    this.choices = this.choices.slice();
    this.choices[i] = choice;
    this.best = scored;
    this.forward.setCurrent(this.choices, i);
    this.changedAt[i] = ++this.clock;
  }

  /**
   * Whether visiting layer i again would score exactly what its last visit scored: no other
   * layer's choice changed since, so every candidate's features are the same and the current
   * choice is already the best of them (the scoring is deterministic).
   */
  private unchangedSinceVisit(i: number): boolean {
    if (this.visitedAt[i] === 0) return false;
    for (let j = 0; j < this.changedAt.length; j++)
      if (j !== i && this.changedAt[j]! > this.visitedAt[i]!) return false;
    return true;
  }

  private better(loss: number): boolean {
    return loss < this.best.loss * (1 - 1e-9) - 1e-15;
  }

  /** Affine starting points for entry k of layer i: the stored row, then the natural one. */
  private starts(i: number, k: number): Float64Array[] {
    const cur = this.choices[i]!;
    const stored = cur.k === k ? cur.affine : param(this.model, `L${i}.affine`).slice(4 * k, 4 * k + 4);
    const n = layerCandidates(this.model, this.model.layers[i]!)[k]!.natural;
    const natural = Float64Array.of(n.a, n.b, n.c, n.d);
    return sameAffine(stored, natural) ? [stored] : [stored, natural];
  }

  /** One coordinate step on layer i; false when the budget ran out. */
  private visit(i: number): boolean {
    const rec = this.records[i]!;
    if (this.unchangedSinceVisit(i)) {
      this.skippedVisits++;
      return true;
    }
    if (!rec.visited) rec.lossBefore = this.best.loss;
    const K = this.model.layers[i]!.selector.candidates.length;
    let lo = Infinity;
    let hi = -Infinity;
    let winner: { choice: HardChoice; scored: Scored } | null = null;
    for (let k = 0; k < K; k++) {
      for (const affine of this.starts(i, k)) {
        if (this.outOfTime()) {
          this.exhausted = true;
          return false;
        }
        const choice = { k, affine };
        const cur = this.choices[i]!;
        const scored = cur.k === k && sameAffine(cur.affine, affine) ? this.best : this.scoreLayer(i, choice);
        if (Number.isFinite(scored.loss)) {
          lo = Math.min(lo, scored.loss);
          hi = Math.max(hi, scored.loss);
        }
        if (this.better(scored.loss) && (!winner || scored.loss < winner.scored.loss))
          winner = { choice, scored };
      }
    }
    if (winner) this.adopt(i, winner.choice, winner.scored);
    Object.assign(rec, { visited: true, lossAfter: this.best.loss, bestLoss: lo, worstLoss: hi });
    this.visitedAt[i] = ++this.clock;
    return true;
  }

  /** Coordinate sweeps, last layer first; returns the number of sweeps completed. */
  run(maxSweeps: number): number {
    let done = 0;
    for (let s = 0; s < maxSweeps; s++) {
      const before = this.best.loss;
      for (let i = this.model.layers.length - 1; i >= 0; i--) if (!this.visit(i)) return done;
      done++;
      if (!(this.best.loss < before)) break;
    }
    return done;
  }

  /** Try the winners' input scale (a, b)·s for each s in the grid, while time is left. */
  refine(scales: readonly number[]): void {
    for (let i = this.model.layers.length - 1; i >= 0; i--) {
      const base = this.choices[i]!;
      for (const s of scales) {
        if (this.outOfTime()) {
          this.exhausted = true;
          return;
        }
        const affine = Float64Array.of(
          base.affine[0]! * s,
          base.affine[1]! * s,
          base.affine[2]!,
          base.affine[3]!,
        );
        const choice = { k: base.k, affine };
        const scored = this.scoreLayer(i, choice);
        if (this.better(scored.loss)) this.adopt(i, choice, scored);
      }
      const rec = this.records[i]!;
      if (rec.visited) rec.lossAfter = this.best.loss;
    }
  }
}
