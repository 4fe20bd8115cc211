/**
 * The speech synthesiser behind the voice task: espeak-ng, either the system's binary or the
 * Emscripten build from the npm registry (package `espeak-ng`, installed with the project), so
 * voice tasks and the demo run on a machine that has only Node and npm.
 *
 * `auto` (the default) takes the native binary when it runs and renders a probe word (a
 * half-installed one that exits non-zero, hangs or writes nothing is passed over), else the
 * wasm build. `LIQUIDKAN_SPEECH=native|wasm` pins one. The two builds are different espeak-ng
 * versions and do not give identical audio, so each synthesiser has an `id` (name, version,
 * build) that goes into the render cache key (voice-render.ts): a data set is reproducible for
 * a given synthesiser, and switching synthesiser never reads the other one's files.
 *
 * The wasm build is asynchronous (module start-up); the voice task is synchronous. A worker
 * thread holds the compiled module and renders each request in a fresh instance (espeak-ng's
 * main keeps global state, so an instance serves one call), while the caller waits on a shared
 * flag with Atomics.wait: about 0.2 s a word, rendered once and cached. The worker's clock is
 * pinned, because this build seeds its noise from the time: with it, renders are reproducible.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { InputError } from '../../shared/errors.js';

export type SynthKind = 'native' | 'wasm';
export type SynthChoice = SynthKind | 'auto';

export interface SpeechSynth {
  readonly kind: SynthKind;
  /** Name, version and build, e.g. 'espeak-ng 1.51 (native)'; part of the render cache key. */
  readonly id: string;
  /**
   * Renders `text` with espeak-ng command-line options `args` (voice, speed, pitch) to a WAV
   * file at `file`; throws an InputError with the synthesiser's own message when it cannot.
   */
  render(args: readonly string[], text: string, file: string): void;
}

/** How long one render (or probe) may take before the synthesiser counts as broken. */
const RENDER_TIMEOUT_MS = 30_000;
/** The npm package with the Emscripten build of espeak-ng. */
const WASM_PACKAGE = 'espeak-ng';

const requireHere = createRequire(import.meta.url);

function parseChoice(raw: string | undefined): SynthChoice {
  if (raw === undefined || raw === '' || raw === 'auto') return 'auto';
  if (raw === 'native' || raw === 'wasm') return raw;
  throw new InputError(`LIQUIDKAN_SPEECH must be auto, native or wasm, got ${JSON.stringify(raw)}`);
}

/**
 * Why the native binary `command` cannot serve (not found, exits non-zero, times out, writes no
 * audio), or its version when it can.
 */
export function probeNative(
  command = 'espeak-ng',
  timeoutMs = RENDER_TIMEOUT_MS,
): { version: string } | { problem: string } {
  const v = spawnSync(command, ['--version'], { encoding: 'utf8', timeout: timeoutMs });
  if (v.error || v.status !== 0) {
    const why = v.error ? v.error.message : `exit ${v.status ?? v.signal}`;
    return { problem: `'${command} --version' failed (${why})` };
  }
  const version = /text-to-speech:\s*(\S+)/.exec(v.stdout)?.[1] ?? v.stdout.trim().split(/\s+/)[0] ?? '?';
  const dir = mkdtempSync(join(tmpdir(), 'liquidkan-espeak-probe-'));
  try {
    const wav = join(dir, 'probe.wav');
    const r = spawnSync(command, ['-w', wav, '--', 'probe'], { encoding: 'utf8', timeout: timeoutMs });
    if (r.error || r.status !== 0 || !existsSync(wav) || statSync(wav).size <= 44) {
      const why = r.error?.message ?? (r.stderr.trim() || `exit ${r.status ?? r.signal}, no audio`);
      return { problem: `'${command}' could not render a probe word (${why})` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { version };
}

function nativeSynth(command: string, version: string, timeoutMs: number): SpeechSynth {
  return {
    kind: 'native',
    id: `espeak-ng ${version} (native)`,
    render(args, text, file) {
      const r = spawnSync(command, [...args, '-w', file, '--', text], {
        encoding: 'utf8',
        timeout: timeoutMs,
      });
      if (r.error || r.status !== 0 || !existsSync(file)) {
        throw new InputError(
          `espeak-ng ${args.join(' ')} could not render ${JSON.stringify(text)}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`,
          { cause: r.error },
        );
      }
    },
  };
}

/** The installed wasm package's version, or why it cannot be used. */
export function probeWasm(): { version: string; entry: string; wasm: string } | { problem: string } {
  try {
    const entry = requireHere.resolve(WASM_PACKAGE);
    const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    const wasm = join(dirname(entry), 'espeak-ng.wasm');
    if (!existsSync(wasm)) return { problem: `${wasm} is missing` };
    return { version: pkg.version, entry, wasm };
  } catch (e) {
    return { problem: `the npm package '${WASM_PACKAGE}' is not installed (${(e as Error).message})` };
  }
}

// Runs inside the worker (CommonJS, eval'd): one fresh espeak-ng instance per request.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { readFileSync, writeFileSync } = require('node:fs');
// At start-up Emscripten's FS builds an Error, stack and all, for every failed path lookup:
// without stacks the instance starts in about half the time.
Error.stackTraceLimit = 0;
// This espeak-ng build seeds its noise source (breathy variants such as +f2) from time(),
// which Emscripten reads from Date.now: a fixed clock makes every render reproducible.
Date.now = () => 0;
const port = workerData.port;
const ready = (async () => {
  const { default: ESpeakNg } = await import(workerData.entryUrl);
  const module = await WebAssembly.compile(readFileSync(workerData.wasm));
  return { ESpeakNg, module };
})();
// Each instance unpacks ~450 embedded data files into its in-memory FS before main. Two cuts,
// neither changing the audio: a directory is made once (not once per file, failing with
// EEXIST on every existing parent), and mbrola voices are left out (this build has no mbrola).
function lighterStart(M) {
  const FS = M.FS;
  const made = new Set();
  const createPath = FS.createPath;
  FS.createPath = (parent, path, canRead, canWrite) => {
    const key = parent + '|' + path;
    if (made.has(key)) return;
    made.add(key);
    return createPath(parent, path, canRead, canWrite);
  };
  const createDataFile = FS.createDataFile;
  FS.createDataFile = (parent, name, ...rest) => {
    if (typeof parent === 'string' && parent.includes('/voices/mb/')) return;
    return createDataFile(parent, name, ...rest);
  };
}
port.on('message', async ({ args, file, flag }) => {
  const done = new Int32Array(flag);
  let reply;
  try {
    const { ESpeakNg, module } = await ready;
    const lines = [];
    const log = (s) => { if (!/keepRuntimeAlive|program exited/.test(s)) lines.push(s); };
    const es = await ESpeakNg({
      arguments: args,
      print: log,
      printErr: log,
      preRun: [lighterStart],
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(module, imports).then((i) => receive(i, module));
        return {};
      },
    });
    let wav = null;
    try { wav = es.FS.readFile('/out.wav'); } catch {}
    if (wav && wav.length > 44) {
      writeFileSync(file, wav);
      reply = { ok: true };
    } else reply = { ok: false, message: lines.join(' ').trim() || 'no audio written' };
  } catch (e) {
    reply = { ok: false, message: String((e && e.message) || e) };
  }
  port.postMessage(reply);
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
});
`;

interface WasmWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
}

let wasmWorker: WasmWorker | null = null;

function startWorker(entry: string, wasm: string): WasmWorker {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { entryUrl: pathToFileURL(entry).href, wasm, port: port2 },
    transferList: [port2],
  });
  // the worker only ever waits for requests: it must not keep the process alive
  worker.unref();
  port1.unref();
  return { worker, port: port1 };
}

function wasmSynth(version: string, entry: string, wasm: string, timeoutMs: number): SpeechSynth {
  return {
    kind: 'wasm',
    id: `espeak-ng (npm ${WASM_PACKAGE}@${version}, wasm)`,
    render(args, text, file) {
      wasmWorker ??= startWorker(entry, wasm);
      const flag = new Int32Array(new SharedArrayBuffer(4));
      wasmWorker.port.postMessage({ args: [...args, '-w', '/out.wav', '--', text], file, flag: flag.buffer });
      const waited = Atomics.wait(flag, 0, 0, timeoutMs);
      const reply = receiveMessageOnPort(wasmWorker.port)?.message as
        | { ok: true }
        | { ok: false; message: string }
        | undefined;
      if (waited === 'timed-out' || reply === undefined) {
        void wasmWorker.worker.terminate();
        wasmWorker = null;
        throw new InputError(
          `espeak-ng (wasm) did not render ${JSON.stringify(text)} within ${timeoutMs / 1000} s`,
        );
      }
      if (!reply.ok) {
        throw new InputError(
          `espeak-ng ${args.join(' ')} could not render ${JSON.stringify(text)}: ${reply.message}`,
        );
      }
    },
  };
}

export interface SynthOptions {
  /** @defaultValue LIQUIDKAN_SPEECH, else 'auto' */
  readonly choice?: SynthChoice;
  /** The native binary. @defaultValue 'espeak-ng' (looked up on PATH) */
  readonly command?: string;
  /** Longest a probe or a render may take. @defaultValue 30 000 */
  readonly timeoutMs?: number;
}

/**
 * The synthesiser to use (see the file header for the order). Throws an InputError naming what
 * to install when none can run.
 */
export function resolveSynth(options: SynthOptions = {}): SpeechSynth {
  const choice = options.choice ?? parseChoice(process.env['LIQUIDKAN_SPEECH']);
  const command = options.command ?? 'espeak-ng';
  const timeoutMs = options.timeoutMs ?? RENDER_TIMEOUT_MS;
  if (choice !== 'wasm') {
    const n = probeNative(command, timeoutMs);
    if ('version' in n) return nativeSynth(command, n.version, timeoutMs);
    if (choice === 'native') {
      throw new InputError(
        `the voice task was asked for the native espeak-ng (LIQUIDKAN_SPEECH=native), but ${n.problem}; install the 'espeak-ng' package (Debian/Ubuntu: apt-get install espeak-ng) or leave LIQUIDKAN_SPEECH unset to use the npm build`,
      );
    }
  }
  const w = probeWasm();
  if ('version' in w) return wasmSynth(w.version, w.entry, w.wasm, timeoutMs);
  throw new InputError(
    `the voice task needs espeak-ng: ${w.problem}; run 'npm install' in the project, or install the 'espeak-ng' package (Debian/Ubuntu: apt-get install espeak-ng)`,
  );
}

let chosen: SpeechSynth | null = null;

/** The synthesiser for this process, chosen once (the probe costs a render). */
export function speechSynth(): SpeechSynth {
  chosen ??= resolveSynth();
  return chosen;
}
