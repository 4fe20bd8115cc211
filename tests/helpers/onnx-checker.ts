/**
 * Runs the reference ONNX checker (python3-onnx, onnx.checker with full_check=True, which also
 * runs strict shape inference) over model files. Tests that call it skip with a named reason
 * where /usr/bin/python3 or its onnx module is missing (TOOLS.onnxChecker() in system-tools.ts),
 * and those skips are listed at the end of the run; CI installs python3-onnx and sets
 * LIQUIDKAN_REQUIRE_ALL_TOOLS=1, under which a missing checker fails instead, so no invalid
 * artifact gets through unchecked there.
 */

import { spawnSync } from 'node:child_process';

/** Debian's interpreter: the one python3-onnx installs into (a pyenv python3 on PATH lacks it). */
export const CHECKER_PYTHON = '/usr/bin/python3';

const SCRIPT = `
import json, sys
try:
    import onnx
except Exception as e:
    print(json.dumps({"fatal": "python onnx module unavailable (apt-get install python3-onnx): %s" % e}))
    sys.exit(0)
results = []
for p in sys.argv[1:]:
    try:
        m = onnx.load(p)
        onnx.checker.check_model(m, full_check=True)
        results.append({"path": p, "ok": True})
    except Exception as e:
        results.append({"path": p, "ok": False, "error": "%s: %s" % (type(e).__name__, e)})
print(json.dumps({"version": onnx.__version__, "results": results}))
`;

export interface CheckResult {
  path: string;
  ok: boolean;
  error?: string;
}

/** Checks every file in one Python process; returns per-file results and the onnx version. */
export function runOnnxChecker(paths: readonly string[]): { version: string; results: CheckResult[] } {
  const proc = spawnSync(CHECKER_PYTHON, ['-c', SCRIPT, ...paths], { encoding: 'utf8', timeout: 120_000 });
  if (proc.error) throw new Error(`onnx checker: cannot run ${CHECKER_PYTHON}: ${proc.error.message}`);
  if (proc.status !== 0) {
    throw new Error(`onnx checker: ${CHECKER_PYTHON} exited with ${proc.status}: ${proc.stderr.trim()}`);
  }
  const lastLine = proc.stdout.trim().split('\n').pop() ?? '';
  let parsed: { fatal?: string; version: string; results: CheckResult[] };
  try {
    parsed = JSON.parse(lastLine);
  } catch {
    throw new Error(`onnx checker: unreadable output: ${proc.stdout}\n${proc.stderr}`);
  }
  if (parsed.fatal) throw new Error(`onnx checker: ${parsed.fatal}`);
  return { version: parsed.version, results: parsed.results };
}

/** Throws one error listing every file the checker rejects, with the checker's message. */
export function checkOnnx(paths: readonly string[]): void {
  const { version, results } = runOnnxChecker(paths);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    const lines = failed.map((r) => `  ${r.path}: ${r.error}`).join('\n');
    throw new Error(`onnx ${version} checker (full_check) rejected ${failed.length} model(s):\n${lines}`);
  }
}
