/**
 * Firmware profiles: the four shipped boards validate, the Jetson says its GPU is not used by
 * the runtime, and a profile that breaks the schema is refused naming the file and the field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProfileError, SchemaError } from '../../shared/errors.js';
import { listProfiles, loadProfile, profilesDir } from '../../shared/profiles.js';
import { FirmwareProfileSchema } from '../../shared/types/profile.js';

const BOARDS = ['jetson-orin-nano', 'pi-zero-2w', 'pi4', 'pi5'];
const dir = mkdtempSync(join(tmpdir(), 'liquidkan-profiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function raw(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(profilesDir(), `${name}.json`), 'utf8')) as Record<string, unknown>;
}

/** Write a variant of pi4 and load it by path. */
function loadVariant(file: string, edit: (p: Record<string, unknown>) => void) {
  const p = raw('pi4');
  edit(p);
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(p));
  return () => loadProfile(path);
}

function schemaError(load: () => unknown): SchemaError {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(SchemaError);
    return err as SchemaError;
  }
  throw new Error('expected the profile to be refused');
}

describe('the shipped firmware profiles', () => {
  it('are the four boards', () => {
    expect(listProfiles()).toEqual(BOARDS);
  });

  for (const name of BOARDS) {
    it(`${name} validates and keeps its budgets consistent`, () => {
      expect(FirmwareProfileSchema.safeParse(raw(name)).success).toBe(true);
      const p = loadProfile(name);
      expect(p.name).toBe(name);
      expect(p.threads).toBeLessThanOrEqual(p.cores);
      expect(p.quantization.allowed).toContain(p.quantization.default);
      expect(p.executionProviders).toEqual(['cpu']);
      expect(p.accelerator.usedByRuntime).toBe(false);
      expect(loadProfile(join(profilesDir(), `${name}.json`))).toEqual(p);
    });
  }

  it('every board writes down why each budget is what it is, and prefers the compiled engine', () => {
    for (const name of BOARDS) {
      const p = loadProfile(name);
      expect(p.budgetReasoning?.stepLatencyBudgetUs, name).toMatch(/µs/);
      expect(p.budgetReasoning?.memoryBudgetMiB, name).toMatch(/MiB/);
      expect(p.budgetReasoning?.modelSizeBudgetBytes, name).toMatch(/MiB|KiB/);
      expect(p.memoryBudgetMiB, name).toBeGreaterThan(0);
      expect(p.engines[0], name).toBe('js');
    }
  });

  it('the Jetson has a GPU and says the runtime does not use it', () => {
    const p = loadProfile('jetson-orin-nano');
    expect(p.accelerator.present).toBe(true);
    expect(p.accelerator.usedByRuntime).toBe(false);
    expect(p.accelerator.note).toMatch(/GPU is not used/);
    expect(p.arch).toEqual(['arm64']);
  });

  it('an unknown name lists the known ones', () => {
    expect(() => loadProfile('pi9')).toThrow(ProfileError);
    expect(() => loadProfile('pi9')).toThrow(`unknown firmware profile 'pi9' (known: ${BOARDS.join(', ')}`);
  });
});

describe('a profile that breaks the schema', () => {
  it('more threads than cores names threads', () => {
    const err = schemaError(
      loadVariant('greedy.json', (p) => {
        p['threads'] = (p['cores'] as number) + 1;
      }),
    );
    expect(err.file).toBe(join(dir, 'greedy.json'));
    expect(err.field).toBe('threads');
    expect(err.message).toContain('threads must not exceed cores');
  });

  it('an unknown field is named', () => {
    const err = schemaError(
      loadVariant('extra.json', (p) => {
        p['gpuLayers'] = 4;
      }),
    );
    expect(err.file).toBe(join(dir, 'extra.json'));
    expect(err.field).toBe('gpuLayers');
  });

  it('a default quantisation outside the allowed list names quantization.default', () => {
    const err = schemaError(
      loadVariant('quant.json', (p) => {
        p['quantization'] = { default: 'fp32', allowed: ['int8'] };
      }),
    );
    expect(err.field).toBe('quantization.default');
  });

  it('an unknown execution provider or a missing field is named', () => {
    expect(
      schemaError(
        loadVariant('cuda.json', (p) => {
          p['executionProviders'] = ['cuda'];
        }),
      ).field,
    ).toBe('executionProviders[0]');
    expect(
      schemaError(
        loadVariant('no-cores.json', (p) => {
          delete p['cores'];
        }),
      ).field,
    ).toBe('cores');
  });
});
