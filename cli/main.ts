/** `liquidkan` entry point: every command, cloud and device. */
import { commands } from './commands/index.js';
import { runCommands } from './router.js';

export function main(
  argv: readonly string[],
  io = { out: process.stdout, err: process.stderr },
): Promise<number> {
  return runCommands(commands, argv, io);
}
