/**
 * An ensemble of models trained apart, merged into one model of the same architecture family:
 * member k's units sit side by side with the others', each layer's weights block-diagonal
 * (every member reads only its own units; the first layer reads the shared input), and the
 * readout averages the members' logits. So the merged model computes exactly
 *
 *   y(x) = (1/K) Σ_k y_k(x)
 *
 * at every step, and everything downstream (export, quantisation, the compiled engine, the
 * device's detector) runs it as any other model, at K times the units. Averaging the logits
 * of models from different seeds steadies a keyword spotter whose single models disagree
 * on voices none of them heard (issue 18).
 *
 * The format shares one activation affine φ = c·ψ(a·u + b) + d per layer, so every member is
 * first rewritten, exactly, onto the first member's (toAffineOf): a and b fold into the layer's
 * input weights and bias; a dense layer's c and d into whatever reads it (the next layer's input
 * weights and bias, or the readout); a liquid layer's c into its state's scale (its recurrent
 * weights and its readers). A liquid layer's d drives the state from its zero start and folds
 * nowhere, so members must share d/c there: the members after the first train with that
 * layer's c and d frozen at the first's (freezeAffine 'liquid-output'). Input scalings may
 * differ too: each member's folds into its first layer, relative to the first member's, which
 * the merged model keeps. Layer kinds, units, τ bands and the chosen entries must be equal.
 */
import { InputError } from '../../shared/errors.js';
import { type HybridModel, param } from '../../shared/model/model.js';

const TOLERANCE = 1e-12;

function sameArrays(a: ArrayLike<number>, b: ArrayLike<number>, tol = TOLERANCE): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > tol) return false;
  return true;
}

/** Why `m` cannot be merged with `first`, or null. */
function mismatch(first: HybridModel, m: HybridModel, k: number): string | null {
  if (m.inputs !== first.inputs || m.outputs !== first.outputs)
    return `member ${k} has ${m.inputs} inputs and ${m.outputs} outputs, member 0 ${first.inputs} and ${first.outputs}`;
  if (m.layers.length !== first.layers.length)
    return `member ${k} has ${m.layers.length} layers, member 0 ${first.layers.length}`;
  if (m.dtDefault !== first.dtDefault)
    return `member ${k} has dtDefault ${m.dtDefault}, member 0 ${first.dtDefault}`;
  if ((m.residualInput ?? null) !== (first.residualInput ?? null))
    return `member ${k} has another residual input than member 0`;
  if (m.library.version !== first.library.version)
    return `member ${k} uses library version ${m.library.version}, member 0 ${first.library.version}`;
  const so = m.scaling;
  const fo = first.scaling;
  if (!so !== !fo)
    return `member ${k} ${so ? 'has' : 'lacks'} an input scaling that member 0 ${fo ? 'has' : 'lacks'}`;
  if (so && fo && !(sameArrays(so.outputMean, fo.outputMean) && sameArrays(so.outputStd, fo.outputStd)))
    return `member ${k} has another output scaling than member 0`;
  for (let i = 0; i < m.layers.length; i++) {
    const a = first.layers[i]!;
    const b = m.layers[i]!;
    if (a.kind !== b.kind || a.units !== b.units)
      return `layer ${i}: member ${k} is ${b.kind} of ${b.units} units, member 0 ${a.kind} of ${a.units}`;
    if (a.kind === 'liquid' && b.kind === 'liquid' && (a.tauMin !== b.tauMin || a.tauMax !== b.tauMax))
      return `layer ${i}: member ${k} has τ band [${b.tauMin}, ${b.tauMax}], member 0 [${a.tauMin}, ${a.tauMax}]`;
    if (a.selector.mode !== 'hard' || b.selector.mode !== 'hard')
      return `layer ${i}: selectors must be hard (member ${a.selector.mode !== 'hard' ? 0 : k} is soft)`;
    if (a.selector.candidates[a.selector.chosen!] !== b.selector.candidates[b.selector.chosen!])
      return `layer ${i}: member ${k} chose another activation than member 0`;
  }
  return null;
}

/** Layer i's chosen affine (a, b, c, d). */
function chosenAffine(m: HybridModel, i: number): [number, number, number, number] {
  const c = m.layers[i]!.selector.chosen!;
  const t = param(m, `L${i}.affine`);
  return [t[4 * c]!, t[4 * c + 1]!, t[4 * c + 2]!, t[4 * c + 3]!];
}

/** M [rows, cols] ← α·M, and bias[r] += β·Σ_c M[r, c] (with M before scaling). */
function foldReader(M: Float64Array, bias: Float64Array, alpha: number, beta: number): void {
  const rows = bias.length;
  const cols = M.length / rows;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      sum += M[r * cols + c]!;
      M[r * cols + c] = M[r * cols + c]! * alpha;
    }
    bias[r] = bias[r]! + beta * sum;
  }
}

/**
 * `m` rewritten to compute the same outputs with `target`'s chosen affine in every layer; throws
 * when a liquid layer's output shift cannot be matched (see the file comment).
 */
export function toAffineOf(m: HybridModel, target: HybridModel, k = 1): HybridModel {
  const params = new Map<string, Float64Array>();
  for (const [name, t] of m.params) params.set(name, t.slice());
  // what the previous layer's output is in terms of the rewritten one: h = α·h' + β
  let alpha = 1;
  let beta = 0;
  m.layers.forEach((layer, i) => {
    const p = `L${i}`;
    const [a, b, c, d] = chosenAffine(m, i);
    const [a0, b0, c0, d0] = chosenAffine(target, i);
    if (a0 === 0 || c0 === 0)
      throw new InputError(`cannot merge the ensemble: layer ${i}'s affine has a or c = 0`);
    const In = params.get(layer.kind === 'dense' ? `${p}.W` : `${p}.U`)!;
    const bias = params.get(`${p}.b`)!;
    foldReader(In, bias, alpha, beta);
    const outScale = c / c0;
    const outShift = d - outScale * d0;
    if (layer.kind === 'liquid') {
      if (Math.abs(outShift) > 1e-9 * Math.max(1, Math.abs(d)))
        throw new InputError(
          `cannot merge the ensemble: layer ${i} (liquid): member ${k}'s output shift d/c = ${d / c} differs from member 0's ${d0 / c0}; train the members after the first with freezeAffine 'liquid-output' from the first's affine`,
        );
      // the state is outScale times the rewritten one: its own recurrent weights read it so
      const Wrec = params.get(`${p}.W`)!;
      for (let j = 0; j < Wrec.length; j++) Wrec[j] = Wrec[j]! * outScale;
    }
    // a·u + b = a0·u' + b0 with u' = (a/a0)·u + (b − b0)/a0: scale the pre-activation's terms
    const s = a / a0;
    for (let j = 0; j < In.length; j++) In[j] = In[j]! * s;
    for (let j = 0; j < bias.length; j++) bias[j] = bias[j]! * s + (b - b0) / a0;
    if (layer.kind === 'liquid') {
      const Wrec = params.get(`${p}.W`)!;
      for (let j = 0; j < Wrec.length; j++) Wrec[j] = Wrec[j]! * s;
    }
    params.set(`${p}.affine`, param(target, `${p}.affine`).slice());
    alpha = outScale;
    beta = layer.kind === 'liquid' ? 0 : outShift;
  });
  foldReader(params.get('readout.W')!, params.get('readout.b')!, alpha, beta);
  return { ...m, params };
}

/**
 * member's first-layer input weights W [units, inputs] and bias b, rewritten for the input
 * scaling `to` instead of its own `from`: W·(x − m_f)/s_f = W'·(x − m_t)/s_t + δ with
 * W' = W·diag(s_t/s_f) and δ = W·((m_t − m_f)/s_f).
 */
function refold(
  W: Float64Array,
  b: Float64Array,
  from: { inputMean: readonly number[]; inputStd: readonly number[] },
  to: { inputMean: readonly number[]; inputStd: readonly number[] },
): { W: Float64Array; b: Float64Array } {
  const D = from.inputMean.length;
  const rows = b.length;
  const Wo = new Float64Array(W.length);
  const bo = Float64Array.from(b);
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < D; d++) {
      const w = W[r * D + d]!;
      Wo[r * D + d] = (w * to.inputStd[d]!) / from.inputStd[d]!;
      bo[r] = bo[r]! + (w * (to.inputMean[d]! - from.inputMean[d]!)) / from.inputStd[d]!;
    }
  }
  return { W: Wo, b: bo };
}

/** One model whose logits are the mean of the members' at every step. */
export function mergeEnsemble(given: readonly HybridModel[]): HybridModel {
  let members = given;
  if (members.length === 0) throw new InputError('an ensemble needs at least one member');
  const first = members[0]!;
  for (let k = 1; k < members.length; k++) {
    const why = mismatch(first, members[k]!, k);
    if (why) throw new InputError(`cannot merge the ensemble: ${why}`);
  }
  if (members.length === 1) return first;
  const K = members.length;
  members = members.map((m, k) => (k === 0 ? m : toAffineOf(m, first, k)));
  const params = new Map<string, Float64Array>();
  const layers = first.layers.map((l) => ({ ...l, units: l.units * K }));
  let width = first.inputs;
  first.layers.forEach((layer, i) => {
    const p = `L${i}`;
    const H = layer.units;
    const KH = H * K;
    const blockWidth = i === 0 ? first.inputs : first.layers[i - 1]!.units;
    const KW = i === 0 ? first.inputs : width;
    // the input matrix: W of a dense layer, U of a liquid one
    const inName = layer.kind === 'dense' ? `${p}.W` : `${p}.U`;
    const In = new Float64Array(KH * KW);
    const bias = new Float64Array(KH);
    members.forEach((m, k) => {
      let Wk = param(m, inName);
      let bk = param(m, `${p}.b`);
      if (i === 0 && m.scaling && first.scaling && m !== first) {
        ({ W: Wk, b: bk } = refold(Wk, bk, m.scaling, first.scaling));
      }
      bias.set(bk, k * H);
      const col0 = i === 0 ? 0 : k * blockWidth;
      for (let r = 0; r < H; r++) {
        In.set(Wk.subarray(r * blockWidth, (r + 1) * blockWidth), (k * H + r) * KW + col0);
      }
    });
    params.set(inName, In);
    params.set(`${p}.b`, bias);
    if (layer.kind === 'liquid') {
      const W = new Float64Array(KH * KH);
      const rho = new Float64Array(KH);
      members.forEach((m, k) => {
        const Wk = param(m, `${p}.W`);
        for (let r = 0; r < H; r++) W.set(Wk.subarray(r * H, (r + 1) * H), (k * H + r) * KH + k * H);
        rho.set(param(m, `${p}.rho`), k * H);
      });
      params.set(`${p}.W`, W);
      params.set(`${p}.rho`, rho);
    }
    params.set(`${p}.logits`, param(first, `${p}.logits`).slice());
    params.set(`${p}.affine`, param(first, `${p}.affine`).slice());
    width = KH;
  });
  const C = first.outputs;
  const last = first.layers[first.layers.length - 1]!.units;
  const R = new Float64Array(C * width);
  const rb = new Float64Array(C);
  members.forEach((m, k) => {
    const Rk = param(m, 'readout.W');
    const bk = param(m, 'readout.b');
    for (let c = 0; c < C; c++) {
      for (let j = 0; j < last; j++) R[c * width + k * last + j] = Rk[c * last + j]! / K;
      rb[c] = rb[c]! + bk[c]! / K;
    }
  });
  params.set('readout.W', R);
  params.set('readout.b', rb);
  return { ...first, layers, params };
}
