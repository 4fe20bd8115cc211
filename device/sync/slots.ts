/**
 * A/B install slots (DESIGN "Releases and sync (MQTT)": "Install into the inactive slot, switch
 * atomically, health-check, roll back on failure, always report the outcome"). Layout:
 *
 *   DIR/slots/a, DIR/slots/b   unpacked releases; each holds .slot.json {kind, version, sha256}
 *   DIR/active                 pointer JSON {format, formatVersion, slot, release, trial, previous}
 *   DIR/outcome.json           the last install outcome, for the `jobs/{id}/update` report
 *
 * Every switch rewrites `active` atomically (temp + rename). A slot is `trial` from activate()
 * until its health check passes; recover() at start-up rolls a trial slot back, so a process
 * killed at any point comes back on a slot that was running and healthy before.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../shared/errors.js';
import { writeDirAtomic, writeFileAtomic } from '../../shared/io/atomic.js';
import { verifyPayload } from '../../shared/release/chunks.js';
import { unpackRelease } from '../../shared/release/container.js';
import { RELEASE_KINDS, type ReleaseManifest, releaseAllowsProfile } from '../../shared/types/release.js';
import * as z from '../../shared/zod.js';

export const SLOT_NAMES = ['a', 'b'] as const;
export type SlotName = (typeof SLOT_NAMES)[number];
export const SLOT_META_FILE = '.slot.json';
const POINTER_FORMAT = 'liquidkan-slots';

const SlotReleaseSchema = z.strictObject({
  kind: z.enum(RELEASE_KINDS),
  version: z.string(),
  sha256: z.string(),
});
export type SlotRelease = z.output<typeof SlotReleaseSchema>;

const SlotRefSchema = z.strictObject({ slot: z.enum(SLOT_NAMES), release: SlotReleaseSchema });
export type SlotRef = z.output<typeof SlotRefSchema>;

const PointerSchema = z.strictObject({
  format: z.literal(POINTER_FORMAT),
  formatVersion: z.literal(1),
  active: z.nullable(SlotRefSchema),
  /** Activated but not yet confirmed by a health check. */
  trial: z.boolean(),
  /** The slot to go back to. */
  previous: z.nullable(SlotRefSchema),
});
export type SlotPointer = z.output<typeof PointerSchema>;

export type InstallStatus = 'installed' | 'rolled-back' | 'refused';
export interface InstallOutcome {
  readonly status: InstallStatus;
  readonly reason: string;
  /** The slot running after the outcome (null: none yet). */
  readonly active: SlotRef | null;
  readonly release?: SlotRelease;
}

export type HealthResult = boolean | { readonly ok: boolean; readonly reason?: string };
/** A caller's check of the newly active slot, e.g. the model loads and its error is in bounds. */
export type HealthCheck = (slotDir: string, release: SlotRelease) => HealthResult | Promise<HealthResult>;
/** Steps of an install, for progress reports and for tests that stop the process between them. */
export type InstallStep = 'wiped' | 'unpacked' | 'activated';

export interface InstallReleaseOptions {
  readonly payload: Uint8Array;
  /** The verified manifest the payload belongs to. */
  readonly manifest: ReleaseManifest;
  readonly healthCheck: HealthCheck;
  /** The board's firmware profile; refused unless the manifest allows it. */
  readonly profile?: string;
  /** @defaultValue 60000 */
  readonly healthTimeoutMs?: number;
  /** Called after each step. A throw here propagates as if the process died at that point. */
  readonly onStep?: (step: InstallStep) => void | Promise<void>;
}

const EMPTY: SlotPointer = {
  format: POINTER_FORMAT,
  formatVersion: 1,
  active: null,
  trial: false,
  previous: null,
};

class StepAbort {
  constructor(readonly error: unknown) {}
}

export class InstallSlots {
  readonly pointerFile: string;
  readonly outcomeFile: string;

  constructor(readonly dir: string) {
    this.pointerFile = join(dir, 'active');
    this.outcomeFile = join(dir, 'outcome.json');
  }

  slotDir(slot: SlotName): string {
    return join(this.dir, 'slots', slot);
  }

  /** The pointer as on disk; EMPTY when none was ever written, undefined when unreadable. */
  readPointer(): SlotPointer | undefined {
    if (!existsSync(this.pointerFile)) return EMPTY;
    try {
      const r = PointerSchema.safeParse(JSON.parse(readFileSync(this.pointerFile, 'utf8')));
      return r.success ? r.data : undefined;
    } catch {
      return undefined;
    }
  }

  pointer(): SlotPointer {
    return this.readPointer() ?? EMPTY;
  }

  private writePointer(p: SlotPointer): void {
    writeFileAtomic(this.pointerFile, `${JSON.stringify(p, null, 2)}\n`);
  }

  /** The release unpacked in a slot, from its .slot.json (undefined if empty or incomplete). */
  slotRelease(slot: SlotName): SlotRelease | undefined {
    try {
      const raw = JSON.parse(readFileSync(join(this.slotDir(slot), SLOT_META_FILE), 'utf8'));
      const r = SlotReleaseSchema.safeParse(raw);
      return r.success ? r.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Directory of the running release, if any. */
  activeDir(): string | undefined {
    const a = this.pointer().active;
    return a ? this.slotDir(a.slot) : undefined;
  }

  inactiveSlot(): SlotName {
    return this.pointer().active?.slot === 'a' ? 'b' : 'a';
  }

  /** Unpack into the inactive slot after wiping it; the running slot is not touched. */
  async install(
    payload: Uint8Array,
    release: SlotRelease,
    onStep?: (step: InstallStep) => void | Promise<void>,
  ): Promise<SlotName> {
    const files = unpackRelease(payload); // a bad payload is refused before anything is wiped
    const p = this.pointer();
    if (p.trial && p.active) {
      throw new InputError(
        `slot ${p.active.slot} is still on trial; finish its health check or recover() before installing`,
      );
    }
    const slot = this.inactiveSlot();
    rmSync(this.slotDir(slot), { recursive: true, force: true });
    await onStep?.('wiped');
    writeDirAtomic(this.slotDir(slot), { ...files, [SLOT_META_FILE]: `${JSON.stringify(release)}\n` });
    await onStep?.('unpacked');
    return slot;
  }

  /** Switch the pointer to the installed inactive slot, on trial until a health check passes. */
  activate(): SlotRef {
    const p = this.pointer();
    const slot = this.inactiveSlot();
    const release = this.slotRelease(slot);
    if (!release)
      throw new InputError(`${this.slotDir(slot)}: nothing installed in slot ${slot} to activate`);
    const active = { slot, release };
    this.writePointer({ ...EMPTY, active, trial: true, previous: p.active });
    return active;
  }

  /** Run the caller's check on the active slot; a pass confirms it (trial ends). */
  async healthCheck(check: HealthCheck, timeoutMs = 60_000): Promise<{ ok: boolean; reason: string }> {
    const p = this.pointer();
    if (!p.active) return { ok: false, reason: 'no active slot to check' };
    let timer: NodeJS.Timeout | undefined;
    let result: { ok: boolean; reason: string };
    try {
      const timeout = new Promise<HealthResult>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`health check took over ${timeoutMs} ms`)), timeoutMs);
      });
      const r = await Promise.race([
        Promise.resolve(check(this.slotDir(p.active.slot), p.active.release)),
        timeout,
      ]);
      const ok = typeof r === 'boolean' ? r : r.ok;
      const why = typeof r === 'boolean' ? undefined : r.reason;
      result = { ok, reason: why ?? (ok ? 'health check passed' : 'health check failed') };
    } catch (err) {
      result = { ok: false, reason: `health check threw: ${(err as Error)?.message ?? String(err)}` };
    } finally {
      clearTimeout(timer);
    }
    if (result.ok && p.trial) this.writePointer({ ...p, trial: false });
    return result;
  }

  /** Whether a slot still holds the release a pointer says it does. */
  holds(ref: SlotRef | null): boolean {
    return ref !== null && this.slotRelease(ref.slot)?.sha256 === ref.release.sha256;
  }

  /**
   * Switch back to the previous slot; to none when a first install fails its trial. A confirmed
   * slot with nothing intact to go back to stays active (InputError).
   */
  rollback(): SlotRef | null {
    const p = this.pointer();
    const back = this.holds(p.previous) ? p.previous : null;
    if (!back && !p.trial && p.active && this.holds(p.active)) {
      throw new InputError(`no intact previous slot to roll back to; staying on slot ${p.active.slot}`);
    }
    this.writePointer({ ...EMPTY, active: back });
    return back;
  }

  /**
   * Start-up repair: clears half-written temp slots, and rolls back a slot that was activated but
   * never confirmed (the process died before or during its health check). Returns the outcome
   * to report when it changed anything.
   */
  recover(): { active: SlotRef | null; outcome?: InstallOutcome } {
    const slotsRoot = join(this.dir, 'slots');
    if (existsSync(slotsRoot)) {
      for (const name of readdirSync(slotsRoot)) {
        if (name.startsWith('.')) rmSync(join(slotsRoot, name), { recursive: true, force: true });
      }
    }
    const p = this.readPointer();
    let reason: string | undefined;
    let release: SlotRelease | undefined;
    if (p === undefined) {
      reason = `${this.pointerFile} was unreadable; chose the first slot that holds a release`;
      const slot = SLOT_NAMES.find((s) => this.slotRelease(s));
      this.writePointer({ ...EMPTY, active: slot ? { slot, release: this.slotRelease(slot)! } : null });
    } else if (p.trial && p.active) {
      release = p.active.release;
      reason = `restarted before slot ${p.active.slot} (${release.version}) passed its health check; rolled back`;
      this.rollback();
    } else if (p.active && !this.holds(p.active)) {
      reason = `active slot ${p.active.slot} holds no complete release; rolled back`;
      this.rollback();
    }
    const active = this.pointer().active;
    if (reason === undefined) return { active };
    const outcome: InstallOutcome = {
      status: 'rolled-back',
      reason,
      active,
      ...(release ? { release } : {}),
    };
    this.writeOutcome(outcome);
    return { active, outcome };
  }

  private writeOutcome(o: InstallOutcome): InstallOutcome {
    writeFileAtomic(this.outcomeFile, `${JSON.stringify(o, null, 2)}\n`);
    return o;
  }

  /** The last recorded outcome, if any. */
  lastOutcome(): InstallOutcome | undefined {
    try {
      return JSON.parse(readFileSync(this.outcomeFile, 'utf8')) as InstallOutcome;
    } catch {
      return undefined;
    }
  }

  /** Install, activate, health-check, roll back on failure; always returns (and records) the outcome. */
  async installRelease(o: InstallReleaseOptions): Promise<InstallOutcome> {
    const m = o.manifest;
    const release: SlotRelease = { kind: m.kind, version: m.version, sha256: m.sha256 };
    const step = async (s: InstallStep) => {
      try {
        await o.onStep?.(s);
      } catch (err) {
        throw new StepAbort(err);
      }
    };
    const report = (status: InstallStatus, reason: string) =>
      this.writeOutcome({ status, reason, active: this.pointer().active, release });
    try {
      if (o.profile !== undefined && !releaseAllowsProfile(m, o.profile)) {
        return report(
          'refused',
          `release ${m.version} is for ${m.profiles.join(', ')}, not profile ${o.profile}`,
        );
      }
      verifyPayload(m, o.payload);
      await this.install(o.payload, release, step);
      this.activate();
    } catch (err) {
      if (err instanceof StepAbort) throw err.error;
      return report('refused', (err as Error)?.message ?? String(err));
    }
    await step('activated').catch((err: StepAbort) => {
      throw err.error;
    });
    const health = await this.healthCheck(o.healthCheck, o.healthTimeoutMs);
    if (health.ok) return report('installed', health.reason);
    const back = this.rollback();
    return report(
      'rolled-back',
      `${health.reason}; back on ${back ? `slot ${back.slot} (${back.release.version})` : 'no slot'}`,
    );
  }
}
