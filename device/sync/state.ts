/**
 * What the device keeps about itself between runs, in its data directory:
 *
 *   DATA/state.json   {install, boot, lastJob, settings}: a random id made once per install
 *                     (a fresh data directory is a new install), the boot counter (one more per
 *                     process start, the `birth` boot sequence), the last job's final update and
 *                     whether the cloud acknowledged it, settings from `desired`. The outbox
 *                     stream is named after both (`{install}-b{boot}`), so a device whose data
 *                     directory was reset never reuses a (stream, seq) the cloud already holds.
 *   DATA/job.json     the job in progress: its notify, and whether it was downloading or
 *                     installing, so a restarted process resumes it or reports what became of it
 *
 * Both are replaced atomically; an unreadable file counts as absent (and the boot counter then
 * starts above anything the caller knows was used).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../shared/io/atomic.js';
import { compareReleaseAge, type ReleaseAge } from '../../shared/release/order.js';
import { RELEASE_KINDS, type ReleaseKind } from '../../shared/types/release.js';
import { type JobUpdate, JobUpdateSchema } from '../../shared/types/sync.js';
import * as z from '../../shared/zod.js';

const STATE_FORMAT = 'liquidkan-device-state';

const LastJobSchema = z.strictObject({ update: JobUpdateSchema, acked: z.boolean() });
export type LastJob = z.output<typeof LastJobSchema>;

const SettingsSchema = z.strictObject({
  adaptTau: z.optional(z.boolean()),
  telemetryIntervalMs: z.optional(z.int().check(z.positive())),
});
export type DeviceSettings = z.output<typeof SettingsSchema>;

const AgeSchema = z.strictObject({
  version: z.string().check(z.maxLength(64)),
  createdAt: z.optional(z.string().check(z.maxLength(64))),
});

const StateSchema = z.strictObject({
  format: z.literal(STATE_FORMAT),
  formatVersion: z.literal(1),
  /** Absent in files written before installs had ids; made (and saved) on first read. */
  install: z.optional(z.string().check(z.regex(/^[0-9a-f]{16}$/))),
  boot: z.int().check(z.nonnegative()),
  lastJob: z.nullable(LastJobSchema),
  settings: SettingsSchema,
  /**
   * The newest release of each kind this device has run (rollback protection): kept here, not
   * in the slots, so neither a restart nor a slot switch (rollback) lowers it.
   */
  newest: z.optional(z.strictObject({ library: z.optional(AgeSchema), model: z.optional(AgeSchema) })),
});
type StateFile = z.output<typeof StateSchema>;

export const CurrentJobSchema = z.strictObject({
  jobId: z.string(),
  rolloutId: z.string(),
  streamId: z.string(),
  /** The signed envelope as received; verified again on resume. */
  envelope: z.strictObject({ manifest: z.unknown(), signature: z.string() }),
  kind: z.enum(RELEASE_KINDS),
  sha256: z.string(),
  version: z.string(),
  phase: z.enum(['downloading', 'installing']),
  /** Times the job entered 'installing' (a process that dies there twice gives up). */
  installAttempts: z.int().check(z.nonnegative()),
  /** The notify allowed a downgrade (kept so a resumed job is judged the same). */
  allowDowngrade: z.optional(z.literal(true)),
});
export type CurrentJob = z.output<typeof CurrentJobSchema>;

function readJson<S extends z.ZodMiniType>(schema: S, file: string): z.output<S> | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const r = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

export class DeviceState {
  readonly file: string;
  readonly jobFile: string;
  private s: StateFile & { install: string };

  constructor(readonly dataDir: string) {
    this.file = join(dataDir, 'state.json');
    this.jobFile = join(dataDir, 'job.json');
    const read = readJson(StateSchema, this.file) ?? {
      format: STATE_FORMAT,
      formatVersion: 1,
      boot: 0,
      lastJob: null,
      settings: {},
    };
    // 64 random bits: two installs of one device id never share a stream name (saved with the
    // next change, nextBoot() at the latest)
    this.s = { ...read, install: read.install ?? randomBytes(8).toString('hex') };
  }

  /** This install's random id (kept in state.json; a reset data directory gets a new one). */
  get install(): string {
    return this.s.install;
  }

  /** The outbox stream of this process: unique per install and boot. */
  get stream(): string {
    return `${this.s.install}-b${this.s.boot}`;
  }

  private save(): void {
    writeFileAtomic(this.file, `${JSON.stringify(this.s, null, 2)}\n`);
  }

  /** The boot number of this process (0 before nextBoot()). */
  get boot(): number {
    return this.s.boot;
  }

  /**
   * Count one more process start, above `atLeast` (e.g. the highest boot the outbox has seen,
   * in case state.json was lost), and persist it before returning.
   */
  nextBoot(atLeast = 0): number {
    this.s = { ...this.s, boot: Math.max(this.s.boot, atLeast) + 1 };
    this.save();
    return this.s.boot;
  }

  get lastJob(): LastJob | null {
    return this.s.lastJob;
  }

  setLastJob(update: JobUpdate, acked: boolean): void {
    this.s = { ...this.s, lastJob: { update, acked } };
    this.save();
  }

  /** The cloud has the final update of `jobId` (its PUBACK arrived). */
  markAcked(jobId: string): void {
    const last = this.s.lastJob;
    if (!last || last.update.jobId !== jobId || last.acked) return;
    this.s = { ...this.s, lastJob: { ...last, acked: true } };
    this.save();
  }

  /** The newest release of `kind` this device has run, or undefined before the first. */
  newest(kind: ReleaseKind): ReleaseAge | undefined {
    return this.s.newest?.[kind];
  }

  /** Notes that a release of `kind` ran; the newest stays (shared/release/order.ts). */
  noteRan(kind: ReleaseKind, release: ReleaseAge): void {
    const current = this.s.newest?.[kind];
    let next: ReleaseAge;
    if (!current || compareReleaseAge(release, current) > 0) next = release;
    else if (release.version === current.version && !current.createdAt && release.createdAt) {
      // the same release, now with the signing time a slot's record lacked
      next = { ...current, createdAt: release.createdAt };
    } else return;
    const age = { version: next.version, ...(next.createdAt ? { createdAt: next.createdAt } : {}) };
    this.s = { ...this.s, newest: { ...this.s.newest, [kind]: age } };
    this.save();
  }

  get settings(): DeviceSettings {
    return this.s.settings;
  }

  setSettings(settings: DeviceSettings): void {
    this.s = { ...this.s, settings: { ...settings } };
    this.save();
  }

  currentJob(): CurrentJob | undefined {
    return readJson(CurrentJobSchema, this.jobFile);
  }

  setCurrentJob(job: CurrentJob): void {
    writeFileAtomic(this.jobFile, `${JSON.stringify(job, null, 2)}\n`);
  }

  clearCurrentJob(): void {
    rmSync(this.jobFile, { force: true });
  }
}
