import type { Command } from '../command.js';
import { cloudCommand } from './cloud.js';
import { compareCommand } from './compare.js';
import { demoCommand } from './demo.js';
import { parityCommand } from './demo-parity.js';
import { deviceCommand } from './device.js';
import { devicesCommand } from './devices.js';
import { discoverCommand } from './discover.js';
import { exportCommand } from './export.js';
import { initCommand } from './init.js';
import { keysCommand } from './keys.js';
import { libraryCommand } from './library.js';
import { predictCommand } from './predict.js';
import { releaseCommand } from './release.js';
import { trainCommand } from './train.js';
import { workerCommand } from './worker.js';

export const commands: readonly Command[] = [
  initCommand,
  exportCommand,
  predictCommand,
  deviceCommand,
  devicesCommand,
  cloudCommand,
  workerCommand,
  trainCommand,
  compareCommand,
  discoverCommand,
  libraryCommand,
  keysCommand,
  releaseCommand,
  demoCommand,
  parityCommand,
];
