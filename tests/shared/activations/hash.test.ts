import { describe, expect, it } from 'vitest';
import { classicEntries, classicEntry } from '../../../shared/activations/builtins.js';
import { activationId, entryId } from '../../../shared/activations/hash.js';
import { canonicalJson } from '../../../shared/io/canonical-json.js';

describe('content hash', () => {
  it('is 16 hex characters, stable, and distinct across builtins', () => {
    const ids = classicEntries().map((e) => e.id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(classicEntry('tanh').id).toBe(classicEntry('tanh').id);
    expect(entryId(classicEntry('gelu'))).toBe(classicEntry('gelu').id);
  });

  it('ignores key order and the last bits of the numbers', () => {
    const p1 = { fn: 'tanh', alpha: 3, beta: 0, gamma: 1.0050330853168084, delta: 0 } as const;
    const p2 = { delta: -0, gamma: 1.0050330853168084 + 4e-16, beta: 0, alpha: 3, fn: 'tanh' } as const;
    expect(activationId('classic', p1, 'extend')).toBe(activationId('classic', p2, 'extend'));
    expect(canonicalJson({ b: 1, a: [0.1 + 0.2, -0] }, { significantDigits: 12 })).toBe(
      '{"a":[0.3,0],"b":1}',
    );
    expect(canonicalJson({ b: 1, a: [0.1 + 0.2] })).toBe('{"a":[0.30000000000000004],"b":1}');
  });

  it('changes with the tail, the form or a real parameter change', () => {
    const p = { fn: 'tanh', alpha: 3, beta: 0, gamma: 1, delta: 0 } as const;
    const base = activationId('classic', p, 'extend');
    expect(activationId('classic', p, 'linear')).not.toBe(base);
    expect(activationId('symbolic', p, 'extend')).not.toBe(base);
    expect(activationId('classic', { ...p, alpha: 3.0001 }, 'extend')).not.toBe(base);
  });
});
