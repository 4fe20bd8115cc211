/**
 * Loading a native addon can kill the process that loads it: a wrong CPU feature, a bad
 * /proc/cpuinfo under emulation, a broken build (onnxruntime issue #10038) end in SIGILL, SIGSEGV
 * or abort(), which no try/catch sees. So before the device imports onnxruntime-node it loads it in
 * a child process and runs the one-node smoke model there; only a child that exits cleanly lets
 * the parent import it. A crash becomes a rejected promise, which the engine order turns into a
 * recorded fallback instead of a dead device (and a systemd restart loop).
 */

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { OnnxError } from '../errors.js';
import { smokeModel } from './ort-session.js';

/** The child: require the addon, run y = x + 1 once, exit 0 only when it computed 2. */
const PROBE = `
const ort = require(process.argv[1]);
const m = ort.InferenceSession ? ort : ort.default;
const bytes = new Uint8Array(Buffer.from(process.argv[2], 'base64'));
m.InferenceSession.create(bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 })
  .then((s) => s.run({ x: new m.Tensor('float32', Float32Array.of(1), [1]) }))
  .then((r) => process.exit(r.y.data[0] === 2 ? 0 : 3), (e) => { process.stderr.write(String(e && e.message)); process.exit(2); });
`;

export interface ProbeOptions {
  /** @defaultValue 30000 (a Pi Zero 2 W takes seconds to load the addon) */
  readonly timeoutMs?: number;
}

/** Resolves the module's entry file as the caller would import it; rejects when it is not installed. */
export function resolveModule(specifier: string, from: string): string {
  try {
    return createRequire(from).resolve(specifier);
  } catch (err) {
    throw new OnnxError(`${specifier} is not installed beside this program`, { cause: err });
  }
}

/**
 * Loads `modulePath` (a CommonJS entry) in a child Node process and runs the smoke model. Resolves
 * when the child exits 0; rejects with an OnnxError naming the signal or exit code and the child's
 * last error output otherwise.
 */
export function probeNativeAddon(modulePath: string, o: ProbeOptions = {}): Promise<void> {
  const smoke = Buffer.from(smokeModel()).toString('base64');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', PROBE, modulePath, smoke], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr = (stderr + d).slice(-400);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 30000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new OnnxError(`could not start a probe process: ${err.message}`, { cause: err }));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const last = stderr.trim().split('\n').pop() ?? '';
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(
        new OnnxError(
          `the addon crashed or failed while loading: the probe process ${how}${last ? ` (${last})` : ''}`,
        ),
      );
    });
  });
}
