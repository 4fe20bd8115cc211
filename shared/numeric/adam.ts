/**
 * Adam (Kingma & Ba, 2015) over a list of Vars, with optional decoupled weight decay (AdamW,
 * Loshchilov & Hutter) and clipping by the global gradient norm.
 *
 * Per parameter θ with gradient g, at step t:
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²
 *   θ ← θ − lr·(m/(1 − β₁ᵗ)) / (√(v/(1 − β₂ᵗ)) + ε) − lr·weightDecay·θ
 *
 * @example
 *   const opt = new Adam(model.parameters(), { lr: 1e-2 });
 *   opt.zeroGrad(); const loss = build(tape); tape.backward(loss); opt.step();
 */
import { InputError } from '../errors.js';
import type { Var } from './tape.js';

export interface AdamOptions {
  /** Step size. @defaultValue 1e-3 */
  readonly lr: number;
  /** Decay of the first-moment (mean) estimate, in [0, 1). @defaultValue 0.9 */
  readonly beta1: number;
  /** Decay of the second-moment (uncentred variance) estimate, in [0, 1). @defaultValue 0.999 */
  readonly beta2: number;
  /** Added to √v̂ so the update stays finite where gradients vanish. @defaultValue 1e-8 */
  readonly eps: number;
  /** Decoupled weight decay per unit lr (AdamW); 0 turns it off. @defaultValue 0 */
  readonly weightDecay: number;
  /** Rescale all gradients together when their global L2 norm exceeds this; 0 turns it off. @defaultValue 0 */
  readonly clipNorm: number;
}

export const ADAM_DEFAULTS: Readonly<AdamOptions> = Object.freeze({
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  clipNorm: 0,
});

export class Adam {
  readonly params: readonly Var[];
  /** Current step size; a schedule may change it between steps. Starts at options.lr. */
  lr: number;
  readonly options: Readonly<AdamOptions>;
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;

  constructor(params: readonly Var[], options: Partial<AdamOptions> = {}) {
    const o = { ...ADAM_DEFAULTS, ...options };
    if (!(o.lr > 0)) throw new InputError(`Adam: lr must be > 0, got ${o.lr}`);
    if (!(o.beta1 >= 0 && o.beta1 < 1)) throw new InputError(`Adam: beta1 must be in [0, 1), got ${o.beta1}`);
    if (!(o.beta2 >= 0 && o.beta2 < 1)) throw new InputError(`Adam: beta2 must be in [0, 1), got ${o.beta2}`);
    if (!(o.eps > 0)) throw new InputError(`Adam: eps must be > 0, got ${o.eps}`);
    if (!(o.weightDecay >= 0)) throw new InputError(`Adam: weightDecay must be ≥ 0, got ${o.weightDecay}`);
    if (!(o.clipNorm >= 0)) throw new InputError(`Adam: clipNorm must be ≥ 0 (0 = off), got ${o.clipNorm}`);
    for (const p of params) {
      if (!p.requiresGrad) throw new InputError(`Adam: parameter '${p.label}' does not require a gradient`);
    }
    this.params = params;
    this.options = Object.freeze(o);
    this.lr = o.lr;
    this.m = params.map((p) => new Float64Array(p.size));
    this.v = params.map((p) => new Float64Array(p.size));
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.t;
  }

  /** Global L2 norm of all current gradients. */
  gradNorm(): number {
    let s = 0;
    for (const p of this.params) {
      const g = p.grad!;
      for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
    }
    return Math.sqrt(s);
  }

  /** Apply one update from the current gradients; returns their global norm before clipping. */
  step(): number {
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.options;
    const norm = this.gradNorm();
    const clip = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
    this.t++;
    const c1 = 1 / (1 - beta1 ** this.t);
    const c2 = 1 / (1 - beta2 ** this.t);
    const lr = this.lr;
    for (let p = 0; p < this.params.length; p++) {
      const theta = this.params[p]!.data;
      const g = this.params[p]!.grad!;
      const m = this.m[p]!;
      const v = this.v[p]!;
      for (let i = 0; i < theta.length; i++) {
        const gi = g[i]! * clip;
        m[i] = beta1 * m[i]! + (1 - beta1) * gi;
        v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
        theta[i] -= lr * ((m[i]! * c1) / (Math.sqrt(v[i]! * c2) + eps) + weightDecay * theta[i]!);
      }
    }
    return norm;
  }

  /** Set every parameter's gradient to 0 (gradients accumulate across backward passes). */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }
}
