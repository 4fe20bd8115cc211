/**
 * Every command of the full CLI, loaded only when it runs: `liquidkan <command>` imports that
 * command's module alone (esbuild splits dist/ into chunks along these imports), so a run pays
 * for the code and dependencies it uses, not for the trainer, the cloud's broker and the
 * PostgreSQL client at once (0.6 s to start any command before, on this machine).
 */
import type { LazyCommand } from '../command.js';
import { COMMAND_SUMMARIES, type CommandName } from './summaries.js';

const lazy = (name: CommandName, load: LazyCommand['load']): LazyCommand => ({
  name,
  summary: COMMAND_SUMMARIES[name],
  load,
});

export const commands: readonly LazyCommand[] = [
  lazy('init', async () => (await import('./init.js')).initCommand),
  lazy('export', async () => (await import('./export.js')).exportCommand),
  lazy('predict', async () => (await import('./predict.js')).predictCommand),
  lazy('device', async () => (await import('./device.js')).deviceCommand),
  lazy('devices', async () => (await import('./devices.js')).devicesCommand),
  lazy('cloud', async () => (await import('./cloud.js')).cloudCommand),
  lazy('worker', async () => (await import('./worker.js')).workerCommand),
  lazy('train', async () => (await import('./train.js')).trainCommand),
  lazy('compare', async () => (await import('./compare.js')).compareCommand),
  lazy('discover', async () => (await import('./discover.js')).discoverCommand),
  lazy('library', async () => (await import('./library.js')).libraryCommand),
  lazy('keys', async () => (await import('./keys.js')).keysCommand),
  lazy('release', async () => (await import('./release.js')).releaseCommand),
  lazy('demo', async () => (await import('./demo.js')).demoCommand),
  lazy('parity', async () => (await import('./demo-parity.js')).parityCommand),
];
