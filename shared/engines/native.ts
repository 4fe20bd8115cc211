/**
 * The 'native' engine: onnxruntime-node's CPU execution provider, the default on every board
 * that has a prebuilt addon (linux x64/arm64, darwin, win32). The package is imported inside
 * init(), so a missing or broken addon (32-bit ARM, wrong glibc) is a rejected promise that
 * resolveEngine() turns into a fallback, never a crash at import time.
 */

import type { Engine, EngineLoadOptions } from './engine.js';
import { checkLoadOptions, type OrtModuleLike, ortEngine, smokeTest } from './ort-session.js';

/** onnxruntime's log severity 3 = errors only; warnings (e.g. about input defaults) stay quiet. */
const LOG_ERRORS_ONLY = 3;

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

export const nativeEngine: Engine = ortEngine(
  'native',
  loadOrt,
  sessionOptions,
  'onnxruntime-node is unavailable',
);
