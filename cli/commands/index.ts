import type { Command } from '../command.js';
import { compareCommand } from './compare.js';
import { demoCommand } from './demo.js';
import { deviceCommand } from './device.js';
import { discoverCommand } from './discover.js';
import { exportCommand } from './export.js';
import { initCommand } from './init.js';
import { libraryCommand } from './library.js';
import { predictCommand } from './predict.js';
import { trainCommand } from './train.js';

export const commands: readonly Command[] = [
  initCommand,
  exportCommand,
  predictCommand,
  deviceCommand,
  trainCommand,
  compareCommand,
  discoverCommand,
  libraryCommand,
  demoCommand,
];
