/** `liquidkan library eval DIR|classic --id ID --x A:B:N [--json]`: an entry's natural function on a grid. */
import { InputError } from '../../shared/errors.js';
import { evaluateNatural, evenlySpaced, resolveEntry } from '../../shared/library/evaluate.js';
import { loadLibrary } from '../../shared/library/library.js';
import type { Command } from '../command.js';
import { JSON_FLAG, stringFlag } from '../command.js';
import { libraryArg } from './library-args.js';

const USAGE = 'eval DIR|classic --id ID|NAME --x A:B:N [--json]';
const MAX_POINTS = 1_000_000;

/** 'A:B:N' → N points from A to B; errors name --x. */
export function parseRangeFlag(raw: string, flag = 'x'): { lo: number; hi: number; n: number } {
  const parts = raw.split(':');
  const bad = (why: string) =>
    new InputError(`--${flag} must be A:B:N (from A to B in N points), ${why}; got '${raw}'`);
  if (parts.length !== 3) throw bad('three fields separated by colons');
  const num = (s: string) => (s.trim() === '' ? Number.NaN : Number(s));
  const [lo, hi] = [num(parts[0]), num(parts[1])];
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw bad('A and B finite numbers');
  if (!(lo < hi)) throw bad('A less than B');
  if (!/^\d+$/.test(parts[2].trim())) throw bad('N a whole number');
  const n = Number(parts[2]);
  if (n < 2 || n > MAX_POINTS) throw bad(`N between 2 and ${MAX_POINTS}`);
  return { lo, hi, n };
}

export const libraryEvalCommand: Command = {
  name: 'eval',
  summary: "evaluate an entry's natural function y = c·ψ(a·x + b) + d on a grid",
  usage: USAGE,
  flags: {
    id: {
      type: 'string',
      value: 'ID|NAME',
      required: true,
      description: 'entry id, unique name or id prefix',
    },
    x: {
      type: 'string',
      value: 'A:B:N',
      required: true,
      description: 'N points from A to B (A < B, N ≥ 2; write --x=-3:3:N when A is negative)',
    },
    json: JSON_FLAG,
  },
  run(ctx) {
    const ref = libraryArg(ctx.positionals, 0, 'a library', USAGE);
    const { lo, hi, n } = parseRangeFlag(stringFlag(ctx.flags, 'x'));
    const entry = resolveEntry(loadLibrary(ref), stringFlag(ctx.flags, 'id'));
    const xs = evenlySpaced(lo, hi, n);
    const ys = evaluateNatural(entry, xs);
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ x: Array.from(xs), y: Array.from(ys) }));
      return;
    }
    ctx.info(`# ${entry.name} (${entry.id})  y = c·ψ(a·x + b) + d`);
    for (let i = 0; i < n; i++) ctx.info(`${xs[i]}\t${ys[i]}`);
  },
};
