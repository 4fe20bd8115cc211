/**
 * Child process for the SIGKILL test: installs a release into SLOTS_DIR and, at step KILL_AT,
 * prints `at:{step}` and waits to be killed. Bundled with esbuild by slots-crash.test.ts.
 */
import { readFileSync } from 'node:fs';
import { InstallSlots, type InstallStep } from '../../../device/sync/slots.js';

const dir = process.env['SLOTS_DIR']!;
const killAt = process.env['KILL_AT'] as InstallStep;
const payload = new Uint8Array(readFileSync(process.env['PAYLOAD_FILE']!));
const manifest = JSON.parse(readFileSync(process.env['MANIFEST_FILE']!, 'utf8'));

await new InstallSlots(dir).installRelease({
  payload,
  manifest,
  healthCheck: () => true,
  onStep: async (step) => {
    if (step !== killAt) return;
    process.stdout.write(`at:${step}\n`);
    setInterval(() => {}, 1000);
    await new Promise(() => {});
  },
});
process.stdout.write('done\n');
