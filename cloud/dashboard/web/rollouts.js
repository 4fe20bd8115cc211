// Releases and rollouts: each rollout with its stage, a progress bar split by job outcome and
// Cancel / Abort buttons. The buttons are disabled until an operator logs in; the server checks
// the login on every action anyway, and a refusal (401) is shown and ends the page's login.
import { bytes, esc, postJson } from './dom.js';

/**
 * Job states grouped into progress-bar segments: the device's JobState (shared/types/sync.ts)
 * plus the cloud's 'notified' (the job is published, the device has not answered yet).
 */
const SEGMENTS = /** @type {const} */ ([
  ['done', ['succeeded']],
  ['busy', ['notified', 'accepted', 'downloading', 'installing']],
  ['bad', ['failed', 'rolled-back', 'rejected']],
  ['off', ['cancelled']],
]);
/** Rollout states after which nothing can be cancelled (cloud/fleet/releases/types.ts). */
const FINISHED = new Set(['completed', 'cancelled', 'aborted']);

/**
 * A rollout as GET /api/rollouts lists it (cloud/fleet/releases/types.ts RolloutSummary):
 * `release` is the release id, `stage` the index of the last stage issued (-1 before the first),
 * `targets` the devices it covers.
 * @typedef {{ id: string, release: string, kind?: string, version?: string, fleet: string,
 *   state: string, stages?: number[], stage?: number, targets?: string[], reason?: string | null,
 *   counts?: Record<string, number> }} Rollout
 */

/** @param {Rollout} r */
function releaseLabel(r) {
  return r.kind && r.version ? `${r.kind} ${r.version}` : `release ${String(r.release).slice(0, 12)}`;
}

/** @param {Rollout} r */
function progress(r) {
  const counts = r.counts ?? {};
  const sum = Object.values(counts).reduce((a, b) => a + (Number(b) || 0), 0);
  const total = Math.max(Array.isArray(r.targets) ? r.targets.length : 0, sum, 1);
  let bars = '';
  let done = 0;
  for (const [cls, states] of SEGMENTS) {
    const n = states.reduce((a, s) => a + (Number(counts[s]) || 0), 0);
    if (cls !== 'busy') done += n;
    if (n > 0)
      bars += `<span class="seg ${cls}" style="width:${((100 * n) / total).toFixed(2)}%" title="${n} ${cls}"></span>`;
  }
  const detail = Object.entries(counts)
    .filter(([, n]) => Number(n) > 0)
    .map(([s, n]) => `${esc(s)} ${Number(n)}`)
    .join(' · ');
  return { bars, done, total, detail };
}

/** The issued stage's index and cumulative share, or null before the first stage. @param {Rollout} r */
function currentStage(r) {
  const stages = Array.isArray(r.stages) ? r.stages : [];
  const i = Number(r.stage ?? -1);
  return i >= 0 && i < stages.length ? { i, of: stages.length, pct: Number(stages[i]) } : null;
}

/**
 * A tick on the bar at the share of the targets the current stage has reached.
 * @param {Rollout} r
 */
function stageMark(r) {
  const s = currentStage(r);
  return s && s.pct > 0 && s.pct < 100
    ? `<span class="stage-mark" style="left:${s.pct}%" title="stage target ${s.pct}%"></span>`
    : '';
}

/** @param {Rollout} r */
function stageLabel(r) {
  const s = currentStage(r);
  return s ? `stage ${s.i + 1}/${s.of} (${s.pct}%)` : 'no stage issued yet';
}

/** @param {Rollout} r @param {boolean} operator */
function card(r, operator) {
  const p = progress(r);
  const active = !FINISHED.has(String(r.state));
  const disabled = operator && active ? '' : ' disabled';
  const why = operator ? (active ? '' : 'the rollout has finished') : 'log in as operator to act';
  return (
    `<article class="card rollout" data-id="${esc(r.id)}"><header><b>${esc(releaseLabel(r))}</b>` +
    ` → ${esc(r.fleet)} <span class="badge rstate ${esc(r.state)}">${esc(r.state)}</span>` +
    `<span class="muted">${esc(stageLabel(r))} · rollout ${esc(r.id)}</span></header>` +
    (r.reason ? `<p class="muted">${esc(r.reason)}</p>` : '') +
    `<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="${p.total}" aria-valuenow="${p.done}">${p.bars}${stageMark(r)}</div>` +
    `<p class="muted">${p.done}/${p.total} finished${p.detail ? ` · ${p.detail}` : ''}</p>` +
    `<div class="actions"><button type="button" data-action="cancel"${disabled} title="${why}">Cancel</button>` +
    `<button type="button" data-action="abort" class="danger"${disabled} title="${why}">Abort</button></div></article>`
  );
}

/**
 * A row of GET /api/releases (cloud/fleet/releases/types.ts ReleaseRecord: `id` is the payload's sha256).
 * @param {{ id?: string, kind?: string, version?: string, size?: number, createdMs?: number,
 *   signatureVerified?: boolean }} r
 */
function releaseRow(r) {
  const when =
    typeof r.createdMs === 'number' ? new Date(r.createdMs).toISOString().replace('.000Z', 'Z') : '';
  const signed =
    r.signatureVerified === true ? 'verified' : r.signatureVerified === false ? 'not checked' : '';
  return (
    `<tr><td>${esc(r.kind)}</td><td>${esc(r.version)}</td><td class="mono">${esc(String(r.id ?? '').slice(0, 16))}</td>` +
    `<td>${bytes(r.size)}</td><td>${esc(signed)}</td><td>${esc(when)}</td></tr>`
  );
}

export class RolloutsView {
  /**
   * @param {{ rollouts: HTMLElement, releases: HTMLTableSectionElement, message: HTMLElement }} els
   * @param {{ isOperator: () => boolean, onRefused: () => void, refresh: () => void }} hooks
   */
  constructor(els, hooks) {
    this.els = els;
    this.hooks = hooks;
    /** @type {Rollout[]} */
    this.list = [];
    els.rollouts.addEventListener('click', (ev) => {
      const button = ev.target instanceof Element ? ev.target.closest('button[data-action]') : null;
      const id = button?.closest('article')?.getAttribute('data-id');
      const action = button?.getAttribute('data-action');
      if (id && (action === 'cancel' || action === 'abort')) void this.act(id, action);
    });
  }

  /** @param {Rollout[]} rollouts */
  setRollouts(rollouts) {
    this.list = rollouts;
    this.render();
  }

  /** @param {Parameters<typeof releaseRow>[0][]} releases */
  setReleases(releases) {
    this.els.releases.innerHTML = releases.map(releaseRow).join('');
  }

  render() {
    const op = this.hooks.isOperator();
    this.els.rollouts.innerHTML = this.list.length
      ? this.list.map((r) => card(r, op)).join('')
      : '<p class="muted">no rollouts yet</p>';
  }

  /**
   * @param {string} id
   * @param {'cancel' | 'abort'} action
   */
  async act(id, action) {
    const msg = this.els.message;
    const { status, body } = await postJson(`/api/rollouts/${encodeURIComponent(id)}/${action}`);
    msg.dataset.status = String(status);
    if (status === 401 || status === 403) {
      msg.className = 'message error';
      msg.textContent = `${action} of rollout ${id} refused (${status}): log in as operator`;
      this.hooks.onRefused();
      return;
    }
    if (status >= 400) {
      msg.className = 'message error';
      msg.textContent = `${action} of rollout ${id} failed (${status}): ${body?.error ?? ''}`;
      return;
    }
    msg.className = 'message ok';
    msg.textContent = `${action} of rollout ${id} accepted`;
    this.hooks.refresh();
  }
}
