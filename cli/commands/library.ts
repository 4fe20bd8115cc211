/** `liquidkan library …`: the subcommands, one file each (library-*.ts). */
import type { Command } from '../command.js';
import { libraryCompactCommand } from './library-compact.js';
import { libraryEvalCommand } from './library-eval.js';
import { libraryMergeCommand } from './library-merge.js';
import { libraryPlotCommand } from './library-plot.js';
import { libraryShowCommand } from './library-show.js';

export const libraryCommand: Command = {
  name: 'library',
  summary: 'inspect, merge, compact, plot and evaluate activation libraries',
  usage: 'library <show|merge|compact|plot|eval> ...',
  flags: {},
  subcommands: [
    libraryShowCommand,
    libraryMergeCommand,
    libraryCompactCommand,
    libraryPlotCommand,
    libraryEvalCommand,
  ],
};
