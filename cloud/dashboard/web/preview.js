// The in-browser preview: the current model's step graph run by onnxruntime-web (the wasm
// build, single-threaded, so it needs neither workers nor SharedArrayBuffer) on the server's
// sample window, fed as the device feeds it (input, dt, and the state carried from state_out),
// next to the outputs onnxruntime-node computed on the server, with the largest |Δ|. For a voice
// model the window is one audio clip: the page computes its features from the raw samples with
// the shared clip code (shared/audio/clip.ts, bundled as 'liquidkan-audio') and feeds those, so
// the preview checks the features as well as the graph.
import { esc, getJson, num } from './dom.js';

/**
 * @typedef {{ sampleRate: number, pcm: number[], features: number[] }} Audio
 * @typedef {{ steps: number, inputs: number, outputs: number, stateWidth: number, dt: number,
 *   x: number[], expected: number[], engine: string, audio?: Audio }} Sample
 * @typedef {{ available: false, reason: string } | { available: true, modelUrl: string,
 *   manifest: Record<string, any>, sample: Sample }} PreviewData
 */

/** Rows shown in the table (all steps are compared). */
const SHOWN_STEPS = 12;

export class PreviewView {
  /** @param {{ info: HTMLElement, run: HTMLButtonElement, status: HTMLElement, table: HTMLTableElement }} els */
  constructor(els) {
    this.els = els;
    /** @type {PreviewData | null} */
    this.data = null;
    els.run.addEventListener('click', () => void this.run());
  }

  async load() {
    const { info, run } = this.els;
    try {
      this.data = /** @type {PreviewData} */ (await getJson('/api/preview'));
    } catch (err) {
      info.textContent = `preview unavailable: ${err instanceof Error ? err.message : err}`;
      return;
    }
    if (!this.data.available) {
      info.textContent = `no preview: ${this.data.reason}`;
      run.disabled = true;
      return;
    }
    const m = this.data.manifest;
    const s = this.data.sample;
    const sel = (m.selection ?? [])
      .map((/** @type {{ layer: number, mode: string, entries: { name: string }[] }} */ l) =>
        l.mode === 'hard' || l.entries.length === 1
          ? `L${l.layer} ${l.entries.map((e) => e.name).join('')}`
          : `L${l.layer} soft mix of ${l.entries.length}`,
      )
      .join(', ');
    info.innerHTML =
      `profile <b>${esc(m.profile)}</b> · ${esc(m.quant)} · ${s.inputs} inputs → ${s.outputs} outputs · state ${s.stateWidth}` +
      ` · library v${esc(m.library?.version)} · ${esc(sel)}<br>sample window: ${s.steps} steps, Δt ${num(s.dt)}` +
      (s.audio
        ? ` (voice: features of a ${s.audio.pcm.length}-sample clip at ${s.audio.sampleRate} Hz, computed in the browser)`
        : '') +
      ';' +
      ` reference: ${s.engine === 'native' ? 'onnxruntime-node' : `${esc(s.engine)} engine`} on the server`;
    run.disabled = false;
  }

  async run() {
    const { status, run } = this.els;
    if (!this.data?.available) return;
    run.disabled = true;
    status.className = 'message';
    status.textContent = 'loading onnxruntime-web…';
    try {
      const t0 = performance.now();
      let sample = this.data.sample;
      let featureNote = '';
      if (sample.audio) {
        const { features, maxDelta } = await browserFeatures(sample.audio);
        status.dataset.featureMaxDelta = String(maxDelta);
        featureNote = `; clip features (browser vs server): max |Δ| = ${maxDelta.toExponential(2)} over ${features.length} values`;
        sample = { ...sample, x: Array.from(Float32Array.from(features)) };
      }
      const got = await runInBrowser(this.data.modelUrl, sample, this.data.manifest);
      const ms = performance.now() - t0;
      const exp = this.data.sample.expected;
      let maxDelta = 0;
      for (let i = 0; i < exp.length; i++)
        maxDelta = Math.max(maxDelta, Math.abs((got[i] ?? NaN) - (exp[i] ?? NaN)));
      if (got.length !== exp.length) maxDelta = Number.POSITIVE_INFINITY;
      this.#table(got);
      status.dataset.maxDelta = String(maxDelta);
      status.className = maxDelta <= 1e-4 ? 'message ok' : 'message error';
      status.textContent =
        `onnxruntime-web (wasm) vs onnxruntime-node: max |Δ| = ${maxDelta.toExponential(2)} over ${exp.length} values` +
        `${featureNote} (${Math.round(ms)} ms in the browser)`;
    } catch (err) {
      status.className = 'message error';
      status.dataset.maxDelta = '';
      status.textContent = `preview failed: ${err instanceof Error ? err.message : err}`;
    } finally {
      run.disabled = false;
    }
  }

  /** @param {number[]} got */
  #table(got) {
    const s = /** @type {Sample} */ (this.data?.available ? this.data.sample : null);
    const head = ['step'];
    for (let j = 0; j < s.outputs; j++) head.push(`y${j} browser`, `y${j} node`, '|Δ|');
    const rows = [];
    for (let t = 0; t < Math.min(s.steps, SHOWN_STEPS); t++) {
      const cells = [String(t)];
      for (let j = 0; j < s.outputs; j++) {
        const a = got[t * s.outputs + j] ?? NaN;
        const b = s.expected[t * s.outputs + j] ?? NaN;
        cells.push(a.toPrecision(7), b.toPrecision(7), Math.abs(a - b).toExponential(1));
      }
      rows.push(`<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`);
    }
    this.els.table.tHead &&
      (this.els.table.tHead.innerHTML = `<tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>`);
    const body = this.els.table.tBodies[0];
    if (body) body.innerHTML = rows.join('');
  }
}

/**
 * The clip's features computed here from its raw samples with the shared clip code, and their
 * largest |Δ| from the server's (both float64: only the two JavaScript engines' Math differs).
 * @param {Audio} audio
 */
export async function browserFeatures(audio) {
  /** @type {typeof import('liquidkan-audio')} */
  let shared;
  try {
    shared = await import('liquidkan-audio');
  } catch {
    throw new Error("the audio features' browser bundle is missing on the server (run npm run build)");
  }
  const { clipFeatures, VOICE_CLIP } = shared;
  if (audio.sampleRate !== VOICE_CLIP.features.sampleRate)
    throw new Error(
      `clip at ${audio.sampleRate} Hz, the features expect ${VOICE_CLIP.features.sampleRate} Hz`,
    );
  const features = clipFeatures(
    Float64Array.from(audio.pcm, (v) => v / 32768),
    VOICE_CLIP,
  );
  let maxDelta = features.length === audio.features.length ? 0 : Number.POSITIVE_INFINITY;
  for (let i = 0; i < features.length; i++)
    maxDelta = Math.max(maxDelta, Math.abs((features[i] ?? NaN) - (audio.features[i] ?? NaN)));
  return { features, maxDelta };
}

/**
 * Runs the sample window through the step graph with onnxruntime-web; returns [steps, outputs].
 * @param {string} modelUrl
 * @param {Sample} s
 * @param {Record<string, any>} manifest
 */
export async function runInBrowser(modelUrl, s, manifest) {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = '/assets/ort/';
  ort.env.logLevel = 'error';
  const res = await fetch(modelUrl, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`model download failed (${res.status})`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'basic',
    // errors only: τ is an initializer that doubles as an input (a default the device may
    // override), which onnxruntime reports as a warning on every load
    logSeverityLevel: 3,
  });
  try {
    const names = new Set(session.inputNames);
    const H = s.stateWidth;
    let state = new Float32Array(H);
    const out = [];
    for (let t = 0; t < s.steps; t++) {
      /** @type {Record<string, import('onnxruntime-web').Tensor>} */
      const feeds = {
        input: new ort.Tensor('float32', Float32Array.from(s.x.slice(t * s.inputs, (t + 1) * s.inputs)), [
          1,
          s.inputs,
        ]),
        dt: new ort.Tensor('float32', Float32Array.of(s.dt), [1, 1]),
      };
      if (H > 0 && names.has('state')) feeds.state = new ort.Tensor('float32', state, [1, H]);
      if (H > 0 && names.has('tau'))
        feeds.tau = new ort.Tensor('float32', Float32Array.from(manifest.tau.default), [H]);
      const r = await session.run(feeds);
      const y = /** @type {Float32Array} */ (r.output?.data);
      for (let j = 0; j < s.outputs; j++) out.push(y[j] ?? NaN);
      if (H > 0 && r.state_out) state = Float32Array.from(/** @type {Float32Array} */ (r.state_out.data));
    }
    return out;
  } finally {
    await session.release();
  }
}
