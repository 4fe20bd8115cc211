/**
 * What the agent needs from the runtime: an observer told of steps and performance windows, an
 * abort signal that ends a run with its summary, a control object that asks for a selection or a
 * τ reset between steps, a library whose entries a selection may pick besides the model's own
 * candidates, and one input shared by several runs without losing a sample at a switch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoopControl, PerfWindow } from '../../../device/runtime/loop.js';
import { runDevice } from '../../../device/runtime/run.js';
import { withLibraryCandidates } from '../../../device/runtime/selection.js';
import { selectOnDevice } from '../../../device/select/select.js';
import { SharedStream } from '../../../device/sync/input.js';
import { driveInputs, teacherBuffer, withEntry } from '../../../scripts/bench-select.js';
import { classicLibrary, makeLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import type { HybridModel } from '../../../shared/model/model.js';
import { runSequence } from '../../../shared/model/reference.js';
import { baseModel, line, PI4, writeModelBundle } from './models.js';

let work: string;
let bundle: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'liquidkan-hooks-'));
  bundle = writeModelBundle(join(work, 'v1'), baseModel());
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const input = (n: number) => Readable.from([Array.from({ length: n }, (_, t) => line(t)).join('')]);

function run(n: number, extra: Partial<Parameters<typeof runDevice>[0]>, logs: string[] = []) {
  return runDevice({
    model: bundle,
    profile: PI4,
    input: '-',
    stdin: input(n),
    format: 'jsonl',
    threads: 1,
    latencyCheck: false,
    emit: null,
    log: (l) => logs.push(l),
    ...extra,
  });
}

const nameOf = (m: HybridModel, i: number) => {
  const s = m.layers[i]!.selector;
  return m.library.entries.find((e) => e.id === s.candidates[s.chosen])!.name;
};

describe('runtime hooks', () => {
  it('tells the observer of every step and of performance windows', async () => {
    let steps = 0;
    const windows: PerfWindow[] = [];
    const control: LoopControl = { reselect: false, tauReset: false, library: null, windowMs: 0 };
    const summary = await run(300, {
      observer: { onStep: () => steps++, onWindow: (w) => windows.push(w) },
      control,
    });
    expect(summary.steps).toBe(300);
    expect(steps).toBe(300);
    // a window after every step (windowMs 0): each covers one step, with its error and τ
    expect(windows).toHaveLength(300);
    expect(windows.reduce((n, w) => n + w.steps, 0)).toBe(300);
    expect(windows[10]).toMatchObject({ steps: 1, mse: expect.any(Number), tauMean: expect.any(Number) });
    expect(windows[10]!.p50Us).toBeGreaterThan(0);
  });

  it('ends the run when its signal fires, with the summary so far', async () => {
    const abort = new AbortController();
    const summary = await run(500, {
      signal: abort.signal,
      observer: { onStep: (step) => (step === 41 ? abort.abort() : undefined) },
    });
    expect(summary.steps).toBe(42);
  });

  it('selects and resets τ when the control object asks', async () => {
    const logs: string[] = [];
    const control: LoopControl = { reselect: false, tauReset: false, library: null, windowMs: null };
    const summary = await run(
      400,
      {
        control,
        selectBudgetMs: 300,
        observer: {
          onStep: (step) => {
            if (step === 300) control.reselect = true;
            if (step === 350) control.tauReset = true;
          },
        },
      },
      logs,
    );
    expect(summary.selections).toHaveLength(1);
    expect(summary.selections[0]!.step).toBe(300);
    expect(control.reselect).toBe(false);
    expect(logs.some((l) => /τ reset to the model's values at step 350/.test(l))).toBe(true);
  });

  it("offers a library's entries to a selection without changing the model's outputs", () => {
    const full = classicLibrary();
    const noSin = makeLibrary(
      full.entries.filter((e) => e.name !== 'sin'),
      1,
    );
    const student = initModel({
      library: noSin,
      inputs: 3,
      hidden: 8,
      outputs: 2,
      seed: 7,
      activation: 'tanh',
      tauMax: 3,
    });
    const extended = withLibraryCandidates(student, full);
    const sin = full.entries.find((e) => e.name === 'sin')!;
    expect(extended.layers[0]!.selector.candidates.at(-1)).toBe(sin.id);
    expect(withLibraryCandidates(extended, full)).toBe(extended);
    const x = driveInputs(3, 200, 3);
    expect(runSequence(extended, x)).toEqual(runSequence(student, x));
    const soft = initModel({ library: noSin, inputs: 3, hidden: 8, outputs: 2, seed: 7, tauMax: 3 });
    const a = runSequence(soft, x);
    const b = runSequence(withLibraryCandidates(soft, full), x);
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 12);

    // data from a sin teacher: only the offered library has the entry it needs
    const buffer = teacherBuffer(withEntry(extended, 0, 'sin'), driveInputs(2, 1200, 3));
    expect(nameOf(selectOnDevice(student, buffer, { budgetMs: Infinity }).model, 0)).not.toBe('sin');
    const { model, report } = selectOnDevice(extended, buffer, { budgetMs: Infinity });
    expect(report.installed).toBe(true);
    expect(nameOf(model, 0)).toBe('sin');
  });

  it('hands a pull pending at a switch to the next run', async () => {
    let release: (() => void) | null = null;
    async function* source() {
      for (let i = 0; i < 6; i++) {
        if (i === 3) await new Promise<void>((r) => (release = r));
        yield i;
      }
    }
    const seen: number[] = [];
    const shared = new SharedStream(source, { tap: (v) => seen.push(v) });
    const abort = new AbortController();
    const first: number[] = [];
    const firstRun = (async () => {
      for await (const v of shared.view(abort.signal)) first.push(v);
    })();
    while (!release) await new Promise((r) => setTimeout(r, 1));
    abort.abort(); // the pull of item 3 is pending
    await firstRun;
    expect(first).toEqual([0, 1, 2]);
    const second: number[] = [];
    const secondRun = (async () => {
      for await (const v of shared.view()) second.push(v);
    })();
    (release as () => void)();
    await secondRun;
    expect(second).toEqual([3, 4, 5]);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(shared.ended).toBe(true);
  });
});
