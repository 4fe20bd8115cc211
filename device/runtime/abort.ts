/** Waiting for the next sample or an abort, whichever comes first. */

export const ABORTED: unique symbol = Symbol('aborted');

/**
 * `p`, or ABORTED if `signal` fires first. The abort listener lives only as long as this one
 * wait: racing every sample against one promise that stays pending for the whole run would
 * leave one more reaction on it per sample.
 */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
