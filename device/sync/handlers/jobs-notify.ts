/** `jobs/notify` (DESIGN row `jobs/notify`, cloud → device, retained): the current release job. */
import { JobNotifySchema, parseControl } from '../../../shared/types/sync.js';
import type { InboundHandler } from './types.js';

export const jobsNotify: InboundHandler = (_rest, payload) => {
  if (payload.byteLength === 0) return 'ignore';
  const r = parseControl(JobNotifySchema, payload);
  return r.ok ? { kind: 'notify', notify: r.value } : { dropped: r.reason };
};
