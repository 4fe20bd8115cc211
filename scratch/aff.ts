import { loadModelDir } from '../shared/model/store.js';

for (const d of process.argv.slice(2)) {
  const m = loadModelDir(d);
  m.layers.forEach((l, i) => {
    const a = m.params.get(`L${i}.affine`)!;
    const c = l.selector.mode === 'hard' ? l.selector.chosen! : 0;
    console.log(
      d,
      i,
      l.kind,
      l.units,
      Array.from(a.subarray(c * 4, c * 4 + 4)).map((v) => v.toFixed(4)),
    );
  });
}
