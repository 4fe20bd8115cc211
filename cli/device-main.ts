/**
 * The board's entry point (npm run build:device): only the commands a device runs, so the
 * bundle carries no training, discovery or cloud service code — less to ship and to hold in
 * memory on a board. (`export` re-measures a trained model's held-out error, so the window and
 * voice-clip builders come along; cloud/train/held-out.ts keeps the trainer out.)
 */
import { deviceCommand } from './commands/device.js';
import { exportCommand } from './commands/export.js';
import { predictCommand } from './commands/predict.js';
import { runCommands } from './router.js';

const DEVICE_COMMANDS = [deviceCommand, predictCommand, exportCommand] as const;

export function main(
  argv: readonly string[],
  io = { out: process.stdout, err: process.stderr },
): Promise<number> {
  return runCommands(DEVICE_COMMANDS, argv, io);
}
