/** What a topic handler makes of one inbound message: a typed event, or why it was dropped. */

import type { CommandMessage, Desired, JobNotify } from '../../../shared/types/sync.js';
import type { CmdName } from '../../../shared/types/topics.js';

export type InboundEvent =
  | { readonly kind: 'notify'; readonly notify: JobNotify }
  | { readonly kind: 'desired'; readonly desired: Desired }
  | { readonly kind: 'stream-data'; readonly sid: string; readonly payload: Uint8Array }
  | { readonly kind: 'cmd'; readonly name: CmdName; readonly command: CommandMessage };

/** `ignore`: nothing to do and nothing wrong (an empty retained message clears a topic). */
export type HandlerResult = InboundEvent | { readonly dropped: string } | 'ignore';

export type InboundHandler = (rest: string, payload: Uint8Array) => HandlerResult;
