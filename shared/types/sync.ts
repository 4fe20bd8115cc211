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
import { z } from 'zod';
import { parseBoundedJson } from '../io/json-depth.js';
import { ID_PATTERN, PARAM_PATTERN } from './topics.js';

/** Largest control message (JSON) either side accepts, in bytes. */
export const MAX_CONTROL_BYTES = 64 * 1024;

export const JOB_FORMAT = 'liquidkan-job';

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (sha256)');
const JobId = z.string().regex(PARAM_PATTERN, `must match ${PARAM_PATTERN.source}`);
const Version = z.string().regex(/^[A-Za-z0-9._+-]{1,64}$/);
const IsoTime = z.iso.datetime();
/** A firmware profile name (firmware-profiles/NAME.json). */
const Profile = z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be 1–64 of a-z 0-9 -');

/** A release as the device knows it once installed (matches device/sync/slots.ts SlotRelease). */
export const ReleaseRefSchema = z
  .object({ kind: z.enum(['library', 'model']), version: Version, sha256: Sha256Hex })
  .strict();
export type ReleaseRef = z.output<typeof ReleaseRefSchema>;

/** `jobs/notify` (cloud → device, retained). `envelope` is checked with verifyManifest. */
export const JobNotifySchema = z
  .object({
    format: z.literal(JOB_FORMAT),
    formatVersion: z.literal(1),
    jobId: JobId,
    /** The rollout this job belongs to (for the cloud's bookkeeping; devices echo it). */
    rolloutId: JobId,
    /** The signed release envelope {manifest, signature}; untrusted until verified. */
    envelope: z.object({ manifest: z.unknown(), signature: z.string().max(256) }).strict(),
    /** Stream to request chunks on: the payload's sha256. */
    streamId: Sha256Hex,
    /** A cancelled job: the device stops downloading and reports `cancelled`. */
    cancelled: z.boolean().default(false),
    /**
     * The operator published this release with --allow-downgrade: install it even when the
     * device has run a newer one (rollback protection, shared/release/order.ts). Sent only when true.
     */
    allowDowngrade: z.literal(true).optional(),
    createdAt: IsoTime,
  })
  .strict();
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
export const JobUpdateSchema = z
  .object({
    jobId: JobId,
    rolloutId: JobId.optional(),
    state: z.enum(JOB_STATES),
    /** Chunks verified so far, while downloading. */
    progress: z
      .object({ done: z.number().int().nonnegative(), total: z.number().int().positive() })
      .strict()
      .optional(),
    /** Why a job failed, was rejected or rolled back (one line). */
    reason: z.string().max(1000).optional(),
    release: ReleaseRefSchema.optional(),
    at: IsoTime,
  })
  .strict();
export type JobUpdate = z.output<typeof JobUpdateSchema>;

/** `stream/{sid}/get` (device → cloud): one chunk by index. */
export const StreamGetSchema = z.object({ chunk: z.number().int().nonnegative() }).strict();
export type StreamGet = z.output<typeof StreamGetSchema>;

/** `stream/{sid}/data` when no chunk can be sent (unknown stream, index out of range). */
export const StreamErrorSchema = z
  .object({ error: z.string().max(1000), chunk: z.number().int().nonnegative().optional() })
  .strict();
export type StreamError = z.output<typeof StreamErrorSchema>;

/** `desired` (cloud → device, retained): target versions and settings. */
export const DesiredSchema = z
  .object({
    library: ReleaseRefSchema.nullable().optional(),
    model: ReleaseRefSchema.nullable().optional(),
    /** Runtime settings the cloud may set remotely. */
    settings: z
      .object({
        adaptTau: z.boolean().optional(),
        telemetryIntervalMs: z.number().int().min(100).max(3_600_000).optional(),
      })
      .strict()
      .optional(),
    updatedAt: IsoTime,
  })
  .strict();
export type Desired = z.output<typeof DesiredSchema>;

/** `birth` (device, retained on connect): identity and versions. */
export const BirthSchema = z
  .object({
    runtime: z
      .object({ name: z.string().max(64), version: z.string().max(64), engine: z.string().max(64) })
      .strict(),
    profile: Profile,
    libraryVersion: Version.nullable(),
    modelVersion: Version.nullable(),
    /** Increases by one per process start (persisted in the device's data dir). */
    boot: z.number().int().nonnegative(),
    at: IsoTime,
  })
  .strict();
export type Birth = z.output<typeof BirthSchema>;

/** `reported` (device, retained): what is applied. */
export const ReportedSchema = z
  .object({
    libraryVersion: Version.nullable(),
    modelVersion: Version.nullable(),
    profile: Profile,
    /** Active slot per release kind and its release. */
    active: z
      .object({
        library: ReleaseRefSchema.nullable(),
        model: ReleaseRefSchema.nullable(),
      })
      .strict(),
    lastJob: z
      .object({ jobId: JobId, state: z.enum(JOB_STATES) })
      .strict()
      .nullable(),
    settings: z.object({ adaptTau: z.boolean().optional() }).loose().optional(),
    at: IsoTime,
  })
  .strict();
export type Reported = z.output<typeof ReportedSchema>;

/** `cmd/{name}` (cloud → device). */
export const CommandSchema = z
  .object({
    id: JobId,
    args: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    at: IsoTime,
  })
  .strict();
export type CommandMessage = z.output<typeof CommandSchema>;

/** A device's identity in messages that name one (the topic already does; this is for APIs). */
export const DeviceIdSchema = z.string().regex(ID_PATTERN);

/**
 * Parse a control payload: size bound, then JSON (nesting bounded, shared/io/json-depth.ts),
 * then schema. Returns the value or a one-line
 * reason, never throws (network input is untrusted; callers log and drop).
 */
export function parseControl<S extends z.ZodType>(
  schema: S,
  payload: Uint8Array,
): { ok: true; value: z.output<S> } | { ok: false; reason: string } {
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
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return {
    ok: false,
    reason: issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid message',
  };
}
