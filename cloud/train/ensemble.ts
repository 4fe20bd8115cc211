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
 * Exactness needs what the format shares per layer to be equal across members: the layer
 * kinds, units, τ bands and selectors (the same chosen entry) and the per-entry affine, which
 * is why members train with `trainAffine: false`. Input scalings may differ: each member's is
 * folded into its first layer's weights, relative to the first member's, which the merged model
 * keeps.
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
    const affine = (x: HybridModel, l: typeof a) =>
      param(x, `L${i}.affine`).subarray(4 * l.selector.chosen!, 4 * l.selector.chosen! + 4);
    if (!sameArrays(affine(first, a), affine(m, b)))
      return `layer ${i}: member ${k}'s activation affine differs from member 0's (train members with trainAffine false)`;
  }
  return null;
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
export function mergeEnsemble(members: readonly HybridModel[]): HybridModel {
  if (members.length === 0) throw new InputError('an ensemble needs at least one member');
  const first = members[0]!;
  for (let k = 1; k < members.length; k++) {
    const why = mismatch(first, members[k]!, k);
    if (why) throw new InputError(`cannot merge the ensemble: ${why}`);
  }
  if (members.length === 1) return first;
  const K = members.length;
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
