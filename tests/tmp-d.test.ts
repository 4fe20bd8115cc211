import { it } from 'vitest';
import { classicEntries, activationDistance, compileActivation } from '../shared/activations/index.js';
it('m', () => {
  const es = classicEntries().map(compileActivation);
  const t0 = performance.now();
  for (let i = 0; i < es.length; i++) {
    const row = [];
    for (let j = 0; j < es.length; j++) row.push(activationDistance(es[i], es[j]).toFixed(3));
    console.log(es[i].entry.name.padEnd(10), row.join(' '));
  }
  console.log('ms', performance.now() - t0);
});
