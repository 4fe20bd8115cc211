/**
 * GET /api/preview and GET /api/preview/model.onnx: what the page needs to run the current
 * model in the browser with onnxruntime-web and to check it against the cloud.
 *
 * The preview is the step graph (model.onnx) of the bundle in `modelBundleDir()`, fed exactly
 * as the device feeds it (device/runtime/step-session.ts): per step `input` [1, inputs], `dt`
 * [1, 1] and the liquid `state` [1, stateWidth] carried from the previous step's `state_out`,
 * from a zero state, with τ left at the graph's default. The sample window is seeded and every
 * value is a float32, so both runtimes see the same bits; the server's outputs come from the
 * device's own engine code (onnxruntime-node, or the wasm build where the addon is missing, and
 * the response says which). Results are cached per bundle and recomputed when its files change.
 *
 * A voice model (its manifest's training section, or an older bundle's training.json, says task 'classify' and its input width is the
 * voice clip features') is fed as the device feeds it instead: one clip of audio through the
 * shared clip features (shared/audio/clip.ts VOICE_CLIP), a row per step from a zero state. The
 * clip is a seeded synthetic word (a gliding voiced tone under noise), sent as 16-bit PCM so the
 * browser computes the features from the raw samples with the same code, bundled for it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readModelMeta } from '../../device/runtime/meta.js';
import { clipFeatures, clipShape, VOICE_CLIP } from '../../shared/audio/clip.js';
import { MANIFEST_FILE } from '../../shared/export/export.js';
import { readJsonWithSchema } from '../../shared/io/json-file.js';
import { Rng } from '../../shared/numeric/rng.js';
import { FILE_NAME_PATTERN } from '../../shared/release/container.js';
import { type ExportManifest, ExportManifestSchema } from '../../shared/types/manifest.js';

export interface PreviewOptions {
  /** Steps in the sample window. @defaultValue 32 */
  readonly steps?: number;
  /** Seed of the sample inputs, uniform on [-2, 2]. @defaultValue 7 */
  readonly seed?: number;
}

export const PREVIEW_DEFAULTS = Object.freeze({ steps: 32, seed: 7 });
export const PREVIEW_MODEL_PATH = '/api/preview/model.onnx';

export interface PreviewSample {
  readonly steps: number;
  readonly inputs: number;
  readonly outputs: number;
  readonly stateWidth: number;
  /** Δt fed at every step. */
  readonly dt: number;
  /** Inputs, [steps, inputs] row-major, float32 values. */
  readonly x: number[];
  /** The server's outputs, [steps, outputs] row-major. */
  readonly expected: number[];
  /** Which engine computed `expected`: 'native' is onnxruntime-node. */
  readonly engine: string;
  /** For a voice model: the clip whose features are `x`. */
  readonly audio?: PreviewAudio;
}

export interface PreviewAudio {
  readonly sampleRate: number;
  /** The clip's samples as 16-bit PCM (sample = pcm / 32768), as a WAV holds them. */
  readonly pcm: number[];
  /** The server's clip features, [steps, inputs] in float64 (`x` is them rounded to float32). */
  readonly features: number[];
}

export type PreviewData =
  | { readonly available: false; readonly reason: string }
  | {
      readonly available: true;
      /** URL of the step graph's bytes (the sha256 prefix busts caches when the model changes). */
      readonly modelUrl: string;
      readonly manifest: ExportManifest;
      readonly sample: PreviewSample;
    };

interface Loaded {
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly data: Promise<PreviewData>;
}

/** The step graph's file inside the bundle; a manifest naming a path outside it is refused. */
function stepFile(dir: string, manifest: ExportManifest): string {
  const name = manifest.step.file.file;
  if (basename(name) !== name || !FILE_NAME_PATTERN.test(name)) {
    throw new Error(`${join(dir, MANIFEST_FILE)}: step.file.file '${name}' is not a plain file name`);
  }
  return join(dir, name);
}

function sampleInputs(steps: number, inputs: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(steps * inputs);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-2, 2);
  return x;
}

/**
 * A seeded one-second "word": a voiced tone gliding 180→260 Hz with harmonics, switched on for
 * 0.25–0.75 s under a little white noise, as 16-bit PCM. Synthetic so the preview needs no
 * speech renderer; what matters is that both sides featurise the same samples.
 */
export function syntheticWordPcm(sampleRate: number, samples: number, seed: number): Int16Array {
  const rng = new Rng(seed);
  const pcm = new Int16Array(samples);
  let phase = 0;
  for (let i = 0; i < samples; i++) {
    const t = i / sampleRate;
    const on = t >= 0.25 && t < 0.75 ? Math.sin((Math.PI * (t - 0.25)) / 0.5) : 0;
    phase += (2 * Math.PI * (180 + 160 * Math.max(0, t - 0.25))) / sampleRate;
    const voiced = on * (0.4 * Math.sin(phase) + 0.2 * Math.sin(2 * phase) + 0.1 * Math.sin(3 * phase));
    const v = voiced + 0.01 * rng.uniform(-1, 1);
    pcm[i] = Math.max(-32768, Math.min(32767, Math.round(v * 32768)));
  }
  return pcm;
}

/** The voice clip of a voice model (null for any other model). */
function voiceAudio(dir: string, manifest: ExportManifest, seed: number): PreviewAudio | null {
  const shape = clipShape(VOICE_CLIP);
  if (
    (manifest.training?.task ?? readModelMeta(dir).task) !== 'classify' ||
    manifest.model.inputs !== shape.dim
  )
    return null;
  const sampleRate = VOICE_CLIP.features.sampleRate;
  const pcm = syntheticWordPcm(sampleRate, shape.samples, seed);
  const samples = Float64Array.from(pcm, (v) => v / 32768);
  return { sampleRate, pcm: Array.from(pcm), features: Array.from(clipFeatures(samples, VOICE_CLIP)) };
}

async function runOnServer(
  bytes: Uint8Array,
  manifest: ExportManifest,
  o: Required<PreviewOptions>,
  audio: PreviewAudio | null,
): Promise<PreviewSample> {
  // heavy modules load on the first preview, not when the cloud starts
  const { resolveEngine } = await import('../../shared/engines/engine.js');
  const { StepSession } = await import('../../device/runtime/step-session.js');
  const { inputs, outputs, stateWidth, dtDefault } = manifest.model;
  const { engine, name } = await resolveEngine(['native', 'wasm']);
  const session = await engine.load(bytes, { threads: 1 });
  const step = new StepSession(session, { inputs, outputs, stateWidth });
  const steps = audio ? audio.features.length / inputs : o.steps;
  const x32 = audio ? Float32Array.from(audio.features) : sampleInputs(steps, inputs, o.seed);
  const dt = Math.fround(dtDefault);
  const expected: number[] = [];
  try {
    const xt = new Float64Array(inputs);
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < inputs; i++) xt[i] = x32[t * inputs + i]!;
      expected.push(...(await step.step(xt, dt)));
    }
  } finally {
    await step.release();
  }
  return {
    steps,
    inputs,
    outputs,
    stateWidth,
    dt,
    x: Array.from(x32),
    expected,
    engine: name,
    ...(audio ? { audio } : {}),
  };
}

export class Preview {
  readonly #o: Required<PreviewOptions>;
  #loaded: Loaded | null = null;

  constructor(
    private readonly bundleDir: () => string | null,
    options: PreviewOptions = {},
  ) {
    this.#o = { ...PREVIEW_DEFAULTS, ...options };
  }

  #load(): Loaded | { reason: string } {
    const dir = this.bundleDir();
    if (dir === null) return { reason: 'no model bundle yet (export and publish a model first)' };
    const manifestPath = join(dir, MANIFEST_FILE);
    const m = statSync(manifestPath, { throwIfNoEntry: false });
    if (!m) return { reason: `${manifestPath}: no manifest` };
    const manifest = readJsonWithSchema(ExportManifestSchema, manifestPath);
    const file = stepFile(dir, manifest);
    const s = statSync(file);
    const key = `${dir}:${m.mtimeMs}:${m.size}:${s.mtimeMs}:${s.size}`;
    if (this.#loaded?.key === key) return this.#loaded;
    const bytes = new Uint8Array(readFileSync(file));
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== manifest.step.file.sha256) {
      return { reason: `${file}: sha256 does not match ${MANIFEST_FILE} (corrupt or replaced)` };
    }
    const data: Promise<PreviewData> = runOnServer(
      bytes,
      manifest,
      this.#o,
      voiceAudio(dir, manifest, this.#o.seed),
    ).then((sample) => ({
      available: true as const,
      modelUrl: `${PREVIEW_MODEL_PATH}?sha=${digest.slice(0, 16)}`,
      manifest,
      sample,
    }));
    // a failed run is not cached: the next request tries again
    data.catch(() => {
      if (this.#loaded?.key === key) this.#loaded = null;
    });
    this.#loaded = { key, bytes, data };
    return this.#loaded;
  }

  /** The preview's data, or why there is none. */
  async data(): Promise<PreviewData> {
    const loaded = this.#load();
    return 'reason' in loaded ? { available: false, reason: loaded.reason } : loaded.data;
  }

  /** The verified step graph bytes, or null when there is no bundle. */
  modelBytes(): Uint8Array | null {
    const loaded = this.#load();
    return 'reason' in loaded ? null : loaded.bytes;
  }
}
