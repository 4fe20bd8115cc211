/**
 * `liquidkan export --model DIR --profile NAME --quant fp32|fp16|int8 --out DIR` writes the step
 * graph, the sequence graph and a manifest that validates and describes those very files.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../../shared/model/store.js';
import { ExportManifestSchema } from '../../shared/types/manifest.js';
import { buildCliOnce, runCli, tempDir } from './cli-harness.js';

let work: string;

beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-export');
  const r = await runCli(
    [
      'init',
      '--library',
      'classic',
      '--inputs',
      '2',
      '--hidden',
      '4',
      '--outputs',
      '1',
      '--seed',
      '5',
      '--out',
      'm',
    ],
    work,
  );
  expect(r.code).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe.concurrent('liquidkan export', () => {
  for (const [profile, quant] of [
    ['pi4', 'fp32'],
    ['pi-zero-2w', 'int8'],
    ['jetson-orin-nano', 'fp16'],
  ] as const) {
    it(`--profile ${profile} --quant ${quant} writes model.onnx, sequence.onnx and a valid manifest.json`, async () => {
      const out = `b-${profile}-${quant}`;
      const r = await runCli(
        ['export', '--model', 'm', '--profile', profile, '--quant', quant, '--out', out],
        work,
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`wrote ${out} for ${profile} (${quant})`);
      const dir = join(work, out);
      const files = readdirSync(dir);
      expect(files).toEqual(expect.arrayContaining(['model.onnx', 'sequence.onnx', 'manifest.json']));
      expect(files.filter((f) => f.startsWith('.'))).toEqual([]);
      const manifest = ExportManifestSchema.parse(
        JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')),
      );
      expect(manifest.profile).toBe(profile);
      expect(manifest.quant).toBe(quant);
      expect(manifest.model).toMatchObject({ inputs: 2, outputs: 1 });
      expect(manifest.step.file.sha256).toBe(sha256(join(dir, 'model.onnx')));
      expect(manifest.sequence.file.sha256).toBe(sha256(join(dir, 'sequence.onnx')));
      expect(manifest.step.file.bytes).toBe(readFileSync(join(dir, 'model.onnx')).length);
      expect(manifest.model.weightsSha256).toBe(sha256(join(work, 'm', 'weights.bin')));
      expect(manifest.accuracy.maxAbsErrorVsFp32).toBeLessThanOrEqual(2 * manifest.accuracy.boundVsFp32);
      // the bundle carries the model directory too, so the device can rebuild from it
      expect(loadModelDir(dir).params).toEqual(loadModelDir(join(work, 'm')).params);
    });
  }

  it('--json prints the output directory and the manifest', async () => {
    const r = await runCli(
      ['export', '--model', 'm', '--profile', 'pi5', '--quant', 'int8', '--out', 'bj', '--json'],
      work,
    );
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as { out: string; manifest: unknown };
    expect(printed.out).toBe('bj');
    const manifest = ExportManifestSchema.parse(printed.manifest);
    expect(manifest).toEqual(JSON.parse(readFileSync(join(work, 'bj', 'manifest.json'), 'utf8')));
  });
});
