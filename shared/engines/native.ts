/**
 * The 'native' engine: onnxruntime-node's CPU execution provider, the default on every board
 * that has a prebuilt addon (linux x64/arm64, darwin, win32). The addon is first loaded in a child
 * process (native-probe.ts), so one that crashes while loading (wrong CPU, bad emulation) is a
 * rejected init() that the engine order turns into a fallback; only then is the package imported
 * here. A missing addon (32-bit ARM, a --lite bundle) is a rejected promise too, never a crash.
 */

import type { Engine, EngineLoadOptions } from './engine.js';
import { probeNativeAddon, resolveModule } from './native-probe.js';
import { checkLoadOptions, type OrtModuleLike, ortEngine, smokeTest } from './ort-session.js';

/** onnxruntime's log severity 3 = errors only; warnings (e.g. about input defaults) stay quiet. */
const LOG_ERRORS_ONLY = 3;

function sessionOptions(options: EngineLoadOptions): object {
  const { optimization, threads } = checkLoadOptions(options);
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: optimization,
    logSeverityLevel: LOG_ERRORS_ONLY,
    // no pre-allocated arena nor memory pattern: a step graph's tensors are a few KB, and the
    // arena's chunks cost a board about 2 MiB of resident memory for no measurable step time
    enableCpuMemArena: false,
    enableMemPattern: false,
    ...(threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: threads }),
  };
}

/**
 * A native engine over the onnxruntime-node API found at `specifier` (resolved from this module).
 * Tests build one over an addon that crashes on load.
 */
export function nativeEngineFor(specifier: string, o: { probe?: boolean } = {}): Engine {
  async function loadOrt(): Promise<OrtModuleLike> {
    const path = resolveModule(specifier, import.meta.url);
    if (o.probe !== false) await probeNativeAddon(path);
    const mod = (await import(specifier === 'onnxruntime-node' ? 'onnxruntime-node' : path)) as Record<
      string,
      unknown
    >;
    const ort = (mod['InferenceSession'] ? mod : mod['default']) as OrtModuleLike;
    await smokeTest('native', ort, sessionOptions({ optimization: 'basic' }));
    return ort;
  }
  return ortEngine('native', loadOrt, sessionOptions, 'onnxruntime-node is unavailable');
}

export const nativeEngine: Engine = nativeEngineFor('onnxruntime-node');
