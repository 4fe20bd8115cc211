/** `liquidkan library …`: the subcommands, one file each (library-*.ts). */
import type { Command } from '../command.js';
import { libraryCompactCommand } from './library-compact.js';
import { libraryEvalCommand } from './library-eval.js';
import { libraryMergeCommand } from './library-merge.js';
import { libraryPlotCommand } from './library-plot.js';
import { libraryShowCommand } from './library-show.js';
import { COMMAND_SUMMARIES } from './summaries.js';

export const libraryCommand: Command = {
  name: 'library',
  summary: COMMAND_SUMMARIES.library,
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
