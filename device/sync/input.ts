/**
 * One input for many runs: the agent restarts the step loop on a new model without reopening the
 * input (stdin cannot be reopened, and a CSV replay goes on where it was). A view of the shared
 * stream ends when its signal fires, without closing the underlying iterator; a pull that was
 * pending then is handed to the next view, so no sample is lost across a switch.
 *
 * Pulling also gives the event loop a turn every few milliseconds, so MQTT traffic (chunks,
 * commands, acknowledgements) is served while a file replays as fast as it can be read.
 */
import { ABORTED, raceAbort } from '../runtime/abort.js';

export interface SharedStreamOptions<T> {
  /** Called with every item as it is handed out (e.g. to keep recent samples). */
  readonly tap?: (item: T) => void;
  /** Longest run of pulls without yielding to the event loop, ms. @defaultValue 10 */
  readonly yieldEveryMs?: number;
}

export class SharedStream<T> {
  private it: AsyncIterator<T> | null = null;
  /** A pull not yet handed to a consumer. */
  private pull: Promise<IteratorResult<T>> | null = null;
  private lastYield = performance.now();
  /** The source has ended. */
  ended = false;

  constructor(
    private readonly source: () => AsyncIterable<T>,
    private readonly o: SharedStreamOptions<T> = {},
  ) {}

  private async pullOne(): Promise<IteratorResult<T>> {
    if (performance.now() - this.lastYield > (this.o.yieldEveryMs ?? 10)) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.lastYield = performance.now();
    }
    this.it ??= this.source()[Symbol.asyncIterator]();
    return this.it.next();
  }

  /** Items until the source ends or `signal` fires. Breaking out of it does not close the source. */
  view(signal?: AbortSignal): AsyncIterable<T> {
    const next = async (): Promise<IteratorResult<T>> => {
      if (this.ended || signal?.aborted) return { done: true, value: undefined };
      this.pull ??= this.pullOne();
      const r = await raceAbort(this.pull, signal);
      // decided in this same turn: either the pull is delivered here, or it stays for the next view
      if (r === ABORTED) return { done: true, value: undefined };
      this.pull = null;
      if (r.done) this.ended = true;
      else this.o.tap?.(r.value);
      return r;
    };
    return { [Symbol.asyncIterator]: () => ({ next }) };
  }
}
