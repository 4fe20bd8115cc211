/** `desired` (DESIGN row `desired`, cloud → device, retained): target versions and settings. */
import { DesiredSchema, parseControl } from '../../../shared/types/sync.js';
import type { InboundHandler } from './types.js';

export const desired: InboundHandler = (_rest, payload) => {
  if (payload.byteLength === 0) return 'ignore';
  const r = parseControl(DesiredSchema, payload);
  return r.ok ? { kind: 'desired', desired: r.value } : { dropped: r.reason };
};
