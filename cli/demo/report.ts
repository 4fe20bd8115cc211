/** The fleet demo's summary for people: what ran, what the loop made, and each device's error. */
import type { FleetDemoSummary, PhaseMse } from './fleet.js';

const e = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toExponential(2));

function phases(m: PhaseMse): string {
  return `${e(m.before_shift)} → shift ${e(m.after_shift)} → selection ${e(m.after_selection)} → reselection ${e(m.after_reselection)}`;
}

/** A relative loss gap (best single entry against the mixture) as people read it. */
function mixtureAdvantage(gap: number): string {
  return gap < 1
    ? `its mixture ${(gap * 100).toFixed(0)}% better at training`
    : `its mixture's training loss ${(1 + gap).toPrecision(3)}× lower`;
}

export function summaryLines(s: FleetDemoSummary): string[] {
  const out: string[] = ['', 'summary'];
  if (s.interrupted) out.push('  interrupted (Ctrl-C): figures so far');
  if (s.failed) out.push(`  FAILED: ${s.failed}`);
  if (s.discovery) {
    out.push(
      `  discovery (${s.discovery.family}): library v${s.discovery.version}, +${s.discovery.added.length} (${s.discovery.added.join(', ') || 'none'})`,
    );
  }
  if (s.model) {
    out.push(
      `  model release ${s.model.release}: runs '${s.model.entry}', ${mixtureAdvantage(s.model.train_gap)}`,
    );
  }
  const t = s.telemetry;
  out.push(
    `  telemetry stored: ${t.perf} perf, ${t.drift} drift, ${t.hunger} hunger (${t.hungry} hungry, ${t.with_samples} with samples)`,
  );
  if (s.loop.length === 0) out.push('  loop: no cycle ran');
  for (const c of s.loop) {
    out.push(
      `  loop ${c.cycle}: ${c.outcome}${c.library !== null ? ` library v${c.library}` : ''} from ${c.records} hungry records of ${c.devices.join(', ')} (${c.samples} samples)` +
        (c.discovery_s !== null ? `, discovery ${c.discovery_s.toFixed(1)} s` : '') +
        (c.error ? `; ${c.error}` : ''),
    );
    if (c.formula) out.push(`    formula ${c.formula}`);
    for (const a of c.added) {
      out.push(
        `    + ${a.name} (${a.form}): fits the hungry shape to ${(a.natural_rel_rms * 100).toFixed(1)}% rms, distance ${a.hunger_distance.toFixed(3)}` +
          (c.best_parent
            ? ` (best before: ${c.best_parent.name}, ${c.best_parent.hunger_distance.toFixed(3)})`
            : ''),
      );
    }
  }
  for (const r of s.rollouts) {
    const counts = Object.entries(r.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    out.push(`  rollout of ${r.kind} ${r.version} to '${r.fleet}': ${r.state} (${counts})`);
  }
  out.push('  devices (MSE before the shift → after it → after selection → after the library reselection):');
  for (const d of s.devices) {
    out.push(
      `    ${d.id}: model ${d.model_version ?? '—'}, library ${d.library_version ?? '—'}, ${d.steps} steps, ${d.drift_events} drift events` +
        (d.first_drift_step !== null ? ` (first after the shift at ${d.first_drift_step})` : ''),
    );
    if (d.mse) out.push(`      ${phases(d.mse)}`);
    if (d.clips) {
      const labels = Object.entries(d.clips.labels)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      out.push(
        `      ${d.clips.count} clips classified (${labels}), ${d.clips.detections} keywords detected, while ${d.clips.words_played} s of words and noise were queued`,
      );
    }
    for (const x of d.selections) {
      out.push(`      selection at ${x.step}: ${x.installed ? 'installed' : 'kept'} ${x.entries.join(', ')}`);
    }
  }
  const sec = Object.entries(s.seconds)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k} ${v} s`)
    .join(', ');
  out.push(`  timeline: ${sec}`);
  out.push(`  artefacts in ${s.out}; dashboard was ${s.dashboard}`);
  return out;
}
