/** `cmd/{name}` (DESIGN row `cmd/…`, cloud → device): reselect, τ reset, rollback, rebirth. */

import { CommandSchema, parseControl } from '../../../shared/types/sync.js';
import type { CmdName } from '../../../shared/types/topics.js';
import type { InboundHandler } from './types.js';

export const cmd: InboundHandler = (name, payload) => {
  const r = parseControl(CommandSchema, payload);
  // parseTopic has already checked the name against CMD_NAMES
  return r.ok ? { kind: 'cmd', name: name as CmdName, command: r.value } : { dropped: r.reason };
};
