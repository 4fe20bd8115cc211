/**
 * Password checks as a bounded resource. Every CONNECT with a username costs one scrypt
 * (devices.ts SCRYPT, tens of ms of CPU), for unknown usernames too, so that timing does not
 * tell a known username from an unknown one. Unbounded, 200 bad CONNECTs delayed a real
 * device's login by 20 s (issue 16). So:
 * - at most `maxConcurrentChecks` checks run at once, and at most `maxQueuedChecks` wait; a
 *   CONNECT beyond that is refused at once (CONNACK 3, server unavailable) without a check;
 *   addresses whose logins have failed share one of those slots, so a device's check never
 *   waits for a flood's to finish;
 * - waiting checks are taken in turn across addresses (one per address per round, addresses
 *   whose logins failed after those whose did not), so a host that floods waits behind itself,
 *   not others behind it; one address may have at most `maxPendingPerAddress` checks running or
 *   waiting;
 * - after `failuresBeforeBackoff` failed checks in a row, an address is refused without a
 *   check for a backoff that doubles with each further failure, up to `backoffMaxMs`.
 * - the same two bounds apply when a TCP connection is accepted (admitConnection): an address
 *   that is backed off, or already has `maxPendingPerAddress` connections that have not logged
 *   in, is closed before the broker parses anything (a single-threaded broker otherwise spends
 *   its time on the flood's CONNECTs while a device's waits behind them).
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
  /** Accepted connections that have not logged in (nor closed) yet. */
  unsettled: number;
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
  /** Checks running for addresses with failed logins (at most one while others may wait). */
  #runningFailed = 0;
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
      const suspect = await this.#slot(address);
      try {
        const result = await check();
        this.#record(a, failed(result));
        return result;
      } finally {
        this.#release(suspect);
      }
    } finally {
      a.pending--;
      this.#forgetIdle();
    }
  }

  /**
   * A TCP connection from `address` was accepted: false (close it at once) when the address is
   * backed off or has `maxPendingPerAddress` connections not logged in; call settleConnection
   * once a connection that was admitted has logged in or closed.
   */
  admitConnection(address: string): boolean {
    const now = this.#o.now();
    const a = this.#state(address, now);
    const refusal =
      a.blockedUntilMs > now ? 'backoff' : a.unsettled >= this.#o.maxPendingPerAddress ? 'busy' : null;
    if (refusal) {
      this.#refuse(refusal);
      return false;
    }
    a.unsettled++;
    return true;
  }

  settleConnection(address: string): void {
    const a = this.#addresses.get(address);
    if (a && a.unsettled > 0) a.unsettled--;
  }

  #refuse(why: LoginRefusal): LoginRefusal {
    this.refused[why]++;
    return why;
  }

  #state(address: string, now: number): AddressState {
    let a = this.#addresses.get(address);
    if (!a) {
      a = { pending: 0, unsettled: 0, failures: 0, lastFailureMs: 0, blockedUntilMs: 0 };
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

  #suspect(address: string): boolean {
    return (this.#addresses.get(address)?.failures ?? 0) > 0;
  }

  /** A free slot for this address now? Suspect addresses may hold one slot between them. */
  #mayRun(address: string): boolean {
    if (this.#running >= this.#o.maxConcurrentChecks) return false;
    return !this.#suspect(address) || this.#runningFailed < 1 || this.#o.maxConcurrentChecks === 1;
  }

  /** Resolves with whether the check runs as a suspect address's once it has a slot. */
  #slot(address: string): Promise<boolean> {
    if (this.#mayRun(address)) {
      const suspect = this.#suspect(address);
      this.#running++;
      if (suspect) this.#runningFailed++;
      return Promise.resolve(suspect);
    }
    this.#queued++;
    return new Promise((resolve) => {
      const q = this.#waiting.get(address);
      const go = () => resolve(this.#suspect(address));
      if (q) q.push(go);
      else this.#waiting.set(address, [go]);
    });
  }

  /**
   * Frees a slot and hands free slots to waiting addresses: those without failed logins first,
   * in turn (the first in the round, which then goes to the back), a suspect one only while no
   * other suspect check runs.
   */
  #release(suspect: boolean): void {
    this.#running--;
    if (suspect) this.#runningFailed--;
    while (this.#running < this.#o.maxConcurrentChecks) {
      let pick: string | undefined;
      for (const address of this.#waiting.keys()) {
        if (!this.#suspect(address)) {
          pick = address;
          break;
        }
        if (pick === undefined && this.#mayRun(address)) pick = address;
      }
      const q = pick === undefined ? undefined : this.#waiting.get(pick);
      if (pick === undefined || !q) return;
      const next = q.shift()!;
      this.#waiting.delete(pick);
      if (q.length > 0) this.#waiting.set(pick, q);
      this.#queued--;
      this.#running++;
      if (this.#suspect(pick)) this.#runningFailed++;
      next();
    }
  }

  /** Keeps the table small: addresses with nothing pending and nothing to remember go. */
  #forgetIdle(): void {
    if (this.#addresses.size < 10_000) return;
    const now = this.#o.now();
    for (const [k, a] of this.#addresses) {
      if (
        a.pending === 0 &&
        a.unsettled === 0 &&
        a.blockedUntilMs <= now &&
        now - a.lastFailureMs > this.#o.backoffMaxMs
      ) {
        this.#addresses.delete(k);
      }
    }
  }
}
