/**
 * `tel/hunger` records (DESIGN row `tel/hunger`; cloud/train/hunger.ts defines the signals):
 * per layer, the selector's normalised mixture entropy and the relative loss gap between the
 * best single entry and the soft mixture.
 */
import { type HungerRecord, HungerRecordSchema } from '../../../../shared/types/telemetry.js';

export type { HungerRecord };
export { HungerRecordSchema };

import type { TelemetryKindSpec } from './types.js';

export const HUNGER: TelemetryKindSpec<HungerRecord> = {
  table: 'tel_hunger',
  topic: 'tel/hunger',
  record: HungerRecordSchema,
  columns: { layer: 'INTEGER', entropy: 'REAL', gap: 'REAL', hungry: 'INTEGER' },
  toRow: (r) => [r.layer, r.entropy, r.gap ?? null, r.hungry === undefined ? null : Number(r.hungry)],
};
