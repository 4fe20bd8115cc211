/** Waiting for a sample or an abort (device/runtime/abort.ts) leaves nothing behind per sample. */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ABORTED, raceAbort } from '../../../device/runtime/abort.js';
import { SharedStream } from '../../../device/sync/input.js';

describe('raceAbort', () => {
  it('returns the value, or ABORTED once the signal fires, and keeps no listener per wait', async () => {
    const abort = new AbortController();
    for (let i = 0; i < 1000; i++) expect(await raceAbort(Promise.resolve(i), abort.signal)).toBe(i);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
    const never = new Promise<number>(() => {});
    const waiting = raceAbort(never, abort.signal);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(1);
    abort.abort();
    expect(await waiting).toBe(ABORTED);
    expect(await raceAbort(Promise.resolve(1), abort.signal)).toBe(ABORTED);
    await expect(raceAbort(Promise.reject(new Error('boom')), new AbortController().signal)).rejects.toThrow(
      'boom',
    );
  });

  it('lets a shared stream hand out thousands of samples to one view without piling up listeners', async () => {
    async function* numbers() {
      for (let i = 0; i < 5000; i++) yield i;
    }
    const shared = new SharedStream(() => numbers());
    const abort = new AbortController();
    let n = 0;
    for await (const v of shared.view(abort.signal)) {
      expect(v).toBe(n++);
      expect(getEventListeners(abort.signal, 'abort').length).toBeLessThanOrEqual(1);
    }
    expect(n).toBe(5000);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  });
});
