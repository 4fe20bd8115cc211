/**
 * The 'native' engine: onnxruntime-node's CPU execution provider, the default on every board
 * that has a prebuilt addon (linux x64/arm64, darwin, win32). The package is imported inside
 * init(), so a missing or broken addon (32-bit ARM, wrong glibc) is a rejected promise that
 * resolveEngine() turns into a fallback, never a crash at import time.
 */

import { OnnxError } from '../../shared/errors.js';
import type { Engine, EngineLoadOptions } from './engine.js';
import {
  checkLoadOptions,
  createOrtSession,
  type OrtModuleLike,
  prepareModel,
  smokeTest,
} from './ort-session.js';

/** onnxruntime's log severity 3 = errors only; warnings (e.g. about input defaults) stay quiet. */
const LOG_ERRORS_ONLY = 3;

let ortPromise: Promise<OrtModuleLike> | undefined;

async function loadOrt(): Promise<OrtModuleLike> {
  const mod = await import('onnxruntime-node');
  const ort = (mod.InferenceSession ? mod : (mod as unknown as { default: typeof mod }).default) as unknown;
  await smokeTest('native', ort as OrtModuleLike, sessionOptions({ optimization: 'basic' }));
  return ort as OrtModuleLike;
}

function sessionOptions(options: EngineLoadOptions): object {
  const { optimization, threads } = checkLoadOptions(options);
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: optimization,
    logSeverityLevel: LOG_ERRORS_ONLY,
    ...(threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: threads }),
  };
}

/** The runtime module, loaded and smoke-tested once; a failure is remembered, not retried. */
function runtime(): Promise<OrtModuleLike> {
  ortPromise ??= loadOrt();
  return ortPromise;
}

export const nativeEngine: Engine = {
  name: 'native',
  async init() {
    await runtime();
  },
  async load(bytes, options = {}) {
    const opts = sessionOptions(options);
    const { fastPath } = checkLoadOptions(options);
    let ort: OrtModuleLike;
    try {
      ort = await runtime();
    } catch (err) {
      throw new OnnxError(`native engine: onnxruntime-node is unavailable: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return createOrtSession('native', ort, prepareModel(bytes), opts, fastPath);
  },
};
