/**
 * The zod every shared schema is written in: zod/mini, the tree-shakable build of zod 4 (schemas
 * composed by functions, checks added with .check()). The device loads these schemas on every
 * run, and the classic build costs a board about 6 MiB of resident memory more (450 KB of code
 * parsed at start-up, against some 60 KB here). Cloud-only code may keep the classic API: both
 * share zod's core, so classic schemas can hold these and every parse reports the same issues.
 *
 * Import it as a namespace (`import * as z from '…/zod.js'`), so bundles keep only what is used.
 * zod/mini carries no messages until a locale is configured; English (alone, not every locale)
 * is set here, once, so a failed parse reads as it does with the classic build.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
