/**
 * Password checks as a bounded resource. Every CONNECT with a username costs one scrypt
 * (devices.ts SCRYPT, tens of ms of CPU), for unknown usernames too, so that timing does not
 * tell a known username from an unknown one. Unbounded, 200 bad CONNECTs delayed a real
 * device's login by 20 s (issue 16). So:
 * - at most `maxConcurrentChecks` checks run at once, and at most `maxQueuedChecks` wait; a
 *   CONNECT beyond that is refused at once (CONNACK 3, server unavailable) without a check;
 * - waiting checks are taken in turn across addresses (one per address per round), so a host
 *   that floods waits behind itself, not others ahead of it; one address may have at most
 *   `maxPendingPerAddress` checks running or waiting;
 * - after `failuresBeforeBackoff` failed checks in a row, an address is refused without a
 *   check for a backoff that doubles with each further failure, up to `backoffMaxMs`.
 * Known and unknown usernames pass through here alike, so none of this depends on the name.
 */

export interface LoginGuardOptions {
  /** @defaultValue 2 */
  readonly maxConcurrentChecks?: number;
  /** @defaultValue 64 */
  readonly maxQueuedChecks?: number;
  /** @defaultValue 16 */
  readonly maxPendingPerAddress?: number;
  /** @defaultValue 5 */
  readonly failuresBeforeBackoff?: number;
  /** First backoff, ms. @defaultValue 1000 */
  readonly backoffBaseMs?: number;
  /** @defaultValue 60000 */
  readonly backoffMaxMs?: number;
  /** Clock, ms. @defaultValue Date.now */
  readonly now?: () => number;
}

export const LOGIN_GUARD_DEFAULTS = Object.freeze({
  maxConcurrentChecks: 2,
  maxQueuedChecks: 64,
  maxPendingPerAddress: 16,
  failuresBeforeBackoff: 5,
  backoffBaseMs: 1000,
  backoffMaxMs: 60_000,
});

/** Why a CONNECT was refused before its password was checked. */
export type LoginRefusal = 'busy' | 'backoff';

interface AddressState {
  pending: number;
  failures: number;
  lastFailureMs: number;
  blockedUntilMs: number;
}

export class LoginGuard {
  readonly #o: Required<LoginGuardOptions>;
  readonly #addresses = new Map<string, AddressState>();
  /** Waiting checks per address; a Map iterates in insertion order, which makes the rounds. */
  readonly #waiting = new Map<string, (() => void)[]>();
  #queued = 0;
  #running = 0;
  /** CONNECTs refused without a check, by reason (for logs, tests and benchmarks). */
  readonly refused = { busy: 0, backoff: 0 };

  constructor(options: LoginGuardOptions = {}) {
    this.#o = { ...LOGIN_GUARD_DEFAULTS, now: Date.now, ...options };
  }

  /**
   * Runs `check` for a CONNECT from `address` when the bounds allow, else refuses it at once.
   * `failed` says whether the check's result counts as a failed login.
   */
  async check<R>(
    address: string,
    check: () => Promise<R>,
    failed: (result: R) => boolean,
  ): Promise<R | LoginRefusal> {
    const now = this.#o.now();
    const a = this.#state(address, now);
    if (a.blockedUntilMs > now) return this.#refuse('backoff');
    if (a.pending >= this.#o.maxPendingPerAddress) return this.#refuse('busy');
    if (this.#running >= this.#o.maxConcurrentChecks && this.#queued >= this.#o.maxQueuedChecks) {
      return this.#refuse('busy');
    }
    a.pending++;
    try {
      await this.#slot(address);
      try {
        const result = await check();
        this.#record(a, failed(result));
        return result;
      } finally {
        this.#release();
      }
    } finally {
      a.pending--;
      this.#forgetIdle();
    }
  }

  #refuse(why: LoginRefusal): LoginRefusal {
    this.refused[why]++;
    return why;
  }

  #state(address: string, now: number): AddressState {
    let a = this.#addresses.get(address);
    if (!a) {
      a = { pending: 0, failures: 0, lastFailureMs: 0, blockedUntilMs: 0 };
      this.#addresses.set(address, a);
    }
    // a quiet address starts over
    if (a.failures > 0 && now - a.lastFailureMs > this.#o.backoffMaxMs) a.failures = 0;
    return a;
  }

  #record(a: AddressState, failed: boolean): void {
    if (!failed) {
      a.failures = 0;
      a.blockedUntilMs = 0;
      return;
    }
    const now = this.#o.now();
    a.failures++;
    a.lastFailureMs = now;
    const over = a.failures - this.#o.failuresBeforeBackoff;
    if (over >= 0) {
      a.blockedUntilMs =
        now + Math.min(this.#o.backoffMaxMs, this.#o.backoffBaseMs * 2 ** Math.min(over, 30));
    }
  }

  #slot(address: string): Promise<void> {
    if (this.#running < this.#o.maxConcurrentChecks) {
      this.#running++;
      return Promise.resolve();
    }
    this.#queued++;
    return new Promise((resolve) => {
      const q = this.#waiting.get(address);
      if (q) q.push(resolve);
      else this.#waiting.set(address, [resolve]);
    });
  }

  /** Hands the slot to the first waiting address, which then goes to the back of the round. */
  #release(): void {
    const first = this.#waiting.entries().next();
    if (first.done) {
      this.#running--;
      return;
    }
    const [address, q] = first.value;
    const next = q.shift()!;
    this.#waiting.delete(address);
    if (q.length > 0) this.#waiting.set(address, q);
    this.#queued--;
    next();
  }

  /** Keeps the table small: addresses with nothing pending and nothing to remember go. */
  #forgetIdle(): void {
    if (this.#addresses.size < 10_000) return;
    const now = this.#o.now();
    for (const [k, a] of this.#addresses) {
      if (a.pending === 0 && a.blockedUntilMs <= now && now - a.lastFailureMs > this.#o.backoffMaxMs) {
        this.#addresses.delete(k);
      }
    }
  }
}
