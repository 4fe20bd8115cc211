/**
 * The sync messages between cloud and device (DESIGN "Releases and sync (MQTT)"), one schema per
 * topic row, so the cloud's release service and the device's sync client parse the same shapes.
 * Every message from the network is untrusted: parse with these schemas (and the byte bounds
 * below) before using any field. Topic names come from topics.ts; telemetry batches from
 * telemetry.ts.
 *
 * Release flow, by topic:
 *   cloud  desired (retained)          what the device should run: {library?, model?} versions
 *   cloud  jobs/notify (retained)      the current release job: signed envelope + stream id
 *   device jobs/{jobId}/update         progress and outcome (accepted … succeeded | failed …)
 *   device stream/{sid}/get            {chunk: i}  (resumable: ask for any index, any time)
 *   cloud  stream/{sid}/data           a chunk frame (shared/release/chunks.ts, magic 'LKC1'),
 *                                      or a JSON StreamError when the stream or chunk is unknown
 *   device reported (retained)         what is applied: versions, active slot, last job
 * The stream id is the release payload's sha256 (64 hex digits), so a download resumes across
 * restarts of either side.
 */
import * as core from 'zod/v4/core';
import { parseBoundedJson } from '../io/json-depth.js';
import * as z from '../zod.js';
import { ID_PATTERN, PARAM_PATTERN } from './topics.js';

/** Largest control message (JSON) either side accepts, in bytes. */
export const MAX_CONTROL_BYTES = 64 * 1024;

export const JOB_FORMAT = 'liquidkan-job';

const Sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (sha256)'));
const JobId = z.string().check(z.regex(PARAM_PATTERN, `must match ${PARAM_PATTERN.source}`));
const Version = z.string().check(z.regex(/^[A-Za-z0-9._+-]{1,64}$/));
const IsoTime = z.iso.datetime();
/** A firmware profile name (firmware-profiles/NAME.json). */
const Profile = z.string().check(z.regex(/^[a-z0-9-]{1,64}$/, 'must be 1–64 of a-z 0-9 -'));
const nonNegativeInt = () => z.int().check(z.nonnegative());
const text = (max: number) => z.string().check(z.maxLength(max));

/** A release as the device knows it once installed (matches device/sync/slots.ts SlotRelease). */
export const ReleaseRefSchema = z.strictObject({
  kind: z.enum(['library', 'model']),
  version: Version,
  sha256: Sha256Hex,
});
export type ReleaseRef = z.output<typeof ReleaseRefSchema>;

/** `jobs/notify` (cloud → device, retained). `envelope` is checked with verifyManifest. */
export const JobNotifySchema = z.strictObject({
  format: z.literal(JOB_FORMAT),
  formatVersion: z.literal(1),
  jobId: JobId,
  /** The rollout this job belongs to (for the cloud's bookkeeping; devices echo it). */
  rolloutId: JobId,
  /** The signed release envelope {manifest, signature}; untrusted until verified. */
  envelope: z.strictObject({ manifest: z.unknown(), signature: text(256) }),
  /** Stream to request chunks on: the payload's sha256. */
  streamId: Sha256Hex,
  /** A cancelled job: the device stops downloading and reports `cancelled`. */
  cancelled: z._default(z.boolean(), false),
  /**
   * The operator published this release with --allow-downgrade: install it even when the
   * device has run a newer one (rollback protection, shared/release/order.ts). Sent only when true.
   */
  allowDowngrade: z.optional(z.literal(true)),
  createdAt: IsoTime,
});
export type JobNotify = z.output<typeof JobNotifySchema>;

/** States a job update may report; the last four are terminal. */
export const JOB_STATES = [
  'accepted',
  'downloading',
  'installing',
  'succeeded',
  'failed',
  'rolled-back',
  'rejected',
  'cancelled',
] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_JOB_STATES: ReadonlySet<JobState> = new Set([
  'succeeded',
  'failed',
  'rolled-back',
  'rejected',
  'cancelled',
]);

/** `jobs/{jobId}/update` (device → cloud). */
export const JobUpdateSchema = z.strictObject({
  jobId: JobId,
  rolloutId: z.optional(JobId),
  state: z.enum(JOB_STATES),
  /** Chunks verified so far, while downloading. */
  progress: z.optional(z.strictObject({ done: nonNegativeInt(), total: z.int().check(z.positive()) })),
  /** Why a job failed, was rejected or rolled back (one line). */
  reason: z.optional(text(1000)),
  release: z.optional(ReleaseRefSchema),
  at: IsoTime,
});
export type JobUpdate = z.output<typeof JobUpdateSchema>;

/** `stream/{sid}/get` (device → cloud): one chunk by index. */
export const StreamGetSchema = z.strictObject({ chunk: nonNegativeInt() });
export type StreamGet = z.output<typeof StreamGetSchema>;

/** `stream/{sid}/data` when no chunk can be sent (unknown stream, index out of range). */
export const StreamErrorSchema = z.strictObject({ error: text(1000), chunk: z.optional(nonNegativeInt()) });
export type StreamError = z.output<typeof StreamErrorSchema>;

/** `desired` (cloud → device, retained): target versions and settings. */
export const DesiredSchema = z.strictObject({
  library: z.optional(z.nullable(ReleaseRefSchema)),
  model: z.optional(z.nullable(ReleaseRefSchema)),
  /** Runtime settings the cloud may set remotely. */
  settings: z.optional(
    z.strictObject({
      adaptTau: z.optional(z.boolean()),
      telemetryIntervalMs: z.optional(z.int().check(z.gte(100), z.lte(3_600_000))),
    }),
  ),
  updatedAt: IsoTime,
});
export type Desired = z.output<typeof DesiredSchema>;

/** `birth` (device, retained on connect): identity and versions. */
export const BirthSchema = z.strictObject({
  runtime: z.strictObject({ name: text(64), version: text(64), engine: text(64) }),
  profile: Profile,
  libraryVersion: z.nullable(Version),
  modelVersion: z.nullable(Version),
  /** Increases by one per process start (persisted in the device's data dir). */
  boot: nonNegativeInt(),
  at: IsoTime,
});
export type Birth = z.output<typeof BirthSchema>;

/** `reported` (device, retained): what is applied. */
export const ReportedSchema = z.strictObject({
  libraryVersion: z.nullable(Version),
  modelVersion: z.nullable(Version),
  profile: Profile,
  /** Active slot per release kind and its release. */
  active: z.strictObject({
    library: z.nullable(ReleaseRefSchema),
    model: z.nullable(ReleaseRefSchema),
  }),
  lastJob: z.nullable(z.strictObject({ jobId: JobId, state: z.enum(JOB_STATES) })),
  settings: z.optional(z.looseObject({ adaptTau: z.optional(z.boolean()) })),
  at: IsoTime,
});
export type Reported = z.output<typeof ReportedSchema>;

/** `cmd/{name}` (cloud → device). */
export const CommandSchema = z.strictObject({
  id: JobId,
  args: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  at: IsoTime,
});
export type CommandMessage = z.output<typeof CommandSchema>;

/** A device's identity in messages that name one (the topic already does; this is for APIs). */
export const DeviceIdSchema = z.string().check(z.regex(ID_PATTERN));

/**
 * Parse a control payload: size bound, then JSON (nesting bounded, shared/io/json-depth.ts),
 * then schema. Returns the value or a one-line
 * reason, never throws (network input is untrusted; callers log and drop).
 */
export function parseControl<S extends core.$ZodType>(
  schema: S,
  payload: Uint8Array,
): { ok: true; value: core.output<S> } | { ok: false; reason: string } {
  if (payload.byteLength > MAX_CONTROL_BYTES) {
    return { ok: false, reason: `message of ${payload.byteLength} bytes is over ${MAX_CONTROL_BYTES}` };
  }
  let json: unknown;
  try {
    json = parseBoundedJson(
      Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'),
    );
  } catch (e) {
    return { ok: false, reason: `not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const r = core.safeParse(schema, json);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return {
    ok: false,
    reason: issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid message',
  };
}
