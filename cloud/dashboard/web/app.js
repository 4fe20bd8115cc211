// The dashboard's entry point: wires the views to the JSON API and the live feed.
// Fleet, charts and login load at once; the gallery, rollouts and preview when first opened.
import { CAPACITY, DeviceCharts } from './charts.js';
import { DETECTIONS_KEPT, DetectionsView } from './detections.js';
import { $, ago, esc, getJson } from './dom.js';
import { FleetTable } from './fleet.js';
import { renderGallery } from './gallery.js';
import { Login } from './login.js';
import { PreviewView } from './preview.js';
import { RolloutsView } from './rollouts.js';

/** @typedef {import('./fleet.js').Device} Device */
/** @typedef {'perf' | 'drift' | 'hunger'} Kind */
const KINDS = /** @type {Kind[]} */ (['perf', 'drift', 'hunger']);
const DAY_MS = 86_400_000;

/**
 * A record's chart time, as the server's chart-points.ts chartTime: its own time when within a
 * day of the receive time (a board may lack a real-time clock), else the receive time.
 * @param {unknown} t
 * @param {number} receivedMs
 */
function chartTime(t, receivedMs) {
  return typeof t === 'number' && Math.abs(t - receivedMs) < DAY_MS ? t : receivedMs;
}

performance.mark('lk-boot');

const fleet = new FleetTable(
  /** @type {HTMLTableSectionElement} */ ($('fleet-table').querySelector('tbody')),
  $('fleet-counts'),
  (key) => void select(key),
);
const charts = new DeviceCharts({
  error: $('chart-error'),
  drift: $('chart-drift'),
  hunger: $('chart-hunger'),
  tau: $('chart-tau'),
  latency: $('chart-latency'),
});
const detections = new DetectionsView($('detections'), $('detections-caption'));
const login = new Login(
  {
    form: /** @type {HTMLFormElement} */ ($('login')),
    token: /** @type {HTMLInputElement} */ ($('token')),
    operator: $('operator'),
    logout: /** @type {HTMLButtonElement} */ ($('logout')),
    message: $('login-message'),
  },
  (_operator, viewer) => {
    rollouts.render();
    if (viewer) start();
  },
);
const rollouts = new RolloutsView(
  {
    rollouts: $('rollouts'),
    releases: /** @type {HTMLTableSectionElement} */ ($('releases').querySelector('tbody')),
    message: $('rollout-message'),
  },
  {
    isOperator: () => login.operator,
    onRefused: () => login.set(false),
    refresh: () => void loadRollouts(),
  },
);
const preview = new PreviewView({
  info: $('preview-info'),
  run: /** @type {HTMLButtonElement} */ ($('preview-run')),
  status: $('preview-status'),
  table: /** @type {HTMLTableElement} */ ($('preview-table')),
});

// ---- fleet -----------------------------------------------------------------------------

/** @param {boolean} [fresh] bypass the page's preload (it may hold the 401 from before a login) */
async function loadFleet(fresh = false) {
  performance.mark('lk-fleet-fetch');
  let devices;
  try {
    const url = fresh ? `/api/devices?t=${Date.now()}` : '/api/devices';
    ({ devices } = /** @type {{ devices: Device[] }} */ (await getJson(url)));
  } catch (err) {
    $('fleet-counts').textContent = `could not load the fleet: ${err instanceof Error ? err.message : err}`;
    return;
  }
  fleet.setAll(devices);
  void $('fleet-table').offsetHeight; // lay the rows out before the mark
  performance.mark('lk-fleet-rendered');
  performance.measure('lk-fleet-render', 'lk-fleet-fetch', 'lk-fleet-rendered');
  document.body.dataset.fleetReady = '1';
  if (selected) showFacts(selected);
}

/** @type {string | null} */
let selected = null;
/** Live points that arrived while the selected device's history was loading. */
/** @type {{ kind: Kind, points: any[] }[] | null} */
let queued = null;
/** @type {Record<string, number>} */
let historyEnd = {};

/** Telemetry batches the selected device dropped (its latest perf record says), or null. */
/** @type {number | null} */
let dropped = null;

/** @param {Kind} kind @param {any[]} points */
function noteDropped(kind, points) {
  if (kind !== 'perf') return;
  const last = points.findLast((p) => typeof p.outboxDropped === 'number');
  if (!last || last.outboxDropped === dropped) return;
  dropped = last.outboxDropped;
  if (selected) showFacts(selected);
}

/** @param {string} key */
function showFacts(key) {
  const d = fleet.devices.get(key);
  $('device-title').textContent = key;
  $('device-facts').innerHTML = d
    ? `<span class="state ${esc(d.state)}">${esc(d.state)}</span> · last seen ${ago(d.lastSeenMs, Date.now())}` +
      ` · profile ${esc(d.profile ?? '–')} · library ${esc(d.libraryVersion ?? '–')} · model ${esc(d.modelVersion ?? '–')}` +
      ` · ${esc(d.runtime ?? '')}${d.boot != null ? ` · boot ${d.boot}` : ''}` +
      (dropped !== null
        ? ` · <span class="${dropped > 0 ? 'warn' : ''}" data-dropped="${dropped}">telemetry dropped ${dropped}</span>`
        : '')
    : '';
}

/** @param {string} key */
async function select(key) {
  if (key === selected) return;
  selected = key;
  delete document.body.dataset.watching;
  fleet.select(key);
  dropped = null;
  showFacts(key);
  charts.reset();
  detections.reset();
  queued = [];
  historyEnd = {};
  connect(key);
  const [fleetId, id] = key.split('/');
  const base = `/api/devices/${encodeURIComponent(fleetId ?? '')}/${encodeURIComponent(id ?? '')}/telemetry`;
  // no `since`: the API then answers the newest `limit` records, as many as a chart holds
  const histories = await Promise.all(
    KINDS.map((kind) => getJson(`${base}?kind=${kind}&limit=${CAPACITY}`).catch(() => ({ records: [] }))),
  );
  const spotted = await getJson(`${base}?kind=detection&limit=${DETECTIONS_KEPT}`).catch(() => ({
    records: [],
  }));
  if (selected !== key) return;
  detections.add(
    (spotted.records ?? []).map(
      (/** @type {{ receivedMs: number, tMs: number | null, record: Record<string, unknown> }} */ r) => ({
        ...r.record,
        x: chartTime(r.tMs, r.receivedMs),
      }),
    ),
  );
  KINDS.forEach((kind, i) => {
    const records =
      /** @type {{ receivedMs: number, tMs: number | null, record: Record<string, unknown> }[]} */ (
        histories[i]?.records ?? []
      );
    const points = records.map((r) => ({ ...r.record, x: chartTime(r.tMs, r.receivedMs) }));
    charts.add(kind, points);
    noteDropped(kind, points);
    historyEnd[kind] = points.reduce((m, p) => Math.max(m, p.x), 0);
  });
  const pending = queued ?? [];
  queued = null;
  for (const q of pending) addLive(q.kind, q.points);
  charts.redraw();
  document.body.dataset.watching = key;
}

/** @param {Kind} kind @param {any[]} points */
function addLive(kind, points) {
  const after = historyEnd[kind] ?? 0;
  noteDropped(kind, points);
  charts.add(
    kind,
    points.filter((p) => p.x > after),
  );
}

// ---- live feed ---------------------------------------------------------------------------

/** @type {EventSource | null} */
let source = null;
let reloadPending = false;

/** @param {string | null} watch */
function connect(watch) {
  source?.close();
  const live = $('live');
  source = new EventSource(`/api/events${watch ? `?device=${encodeURIComponent(watch)}` : ''}`);
  let opened = false;
  source.addEventListener('hello', () => {
    live.textContent = 'live';
    live.className = 'live on';
    // after a reconnect, catch up on what changed while the stream was down
    if (opened) void loadFleet();
    opened = true;
  });
  source.addEventListener('update', (ev) => onUpdate(JSON.parse(/** @type {MessageEvent} */ (ev).data)));
  source.onerror = () => {
    live.textContent = 'reconnecting…';
    live.className = 'live off';
  };
}

/** @param {any} u */
function onUpdate(u) {
  if (u.reload && !reloadPending) {
    reloadPending = true;
    void loadFleet().finally(() => {
      reloadPending = false;
    });
  }
  if (Array.isArray(u.devices)) {
    fleet.update(u.devices);
    if (selected && u.devices.some((/** @type {Device} */ d) => `${d.fleet}/${d.id}` === selected))
      showFacts(selected);
  }
  if (u.seen) {
    fleet.seen(u.seen);
    if (selected && u.seen[selected]) showFacts(selected);
  }
  if (u.telemetry && u.telemetry.device === selected) {
    for (const kind of KINDS) {
      const points = u.telemetry[kind];
      if (!Array.isArray(points)) continue;
      if (queued) queued.push({ kind, points });
      else addLive(kind, points);
    }
    if (!queued) charts.redraw();
    if (Array.isArray(u.telemetry.detection)) detections.add(u.telemetry.detection);
  }
  if (u.rollouts && loaded.has('rollouts')) void loadRollouts();
  if (u.library && loaded.has('library')) void loadLibrary();
}

// ---- other views -------------------------------------------------------------------------

async function loadLibrary() {
  try {
    renderGallery($('library-title'), $('gallery'), await getJson('/api/library'));
  } catch (err) {
    $('library-title').textContent = `library unavailable: ${err instanceof Error ? err.message : err}`;
  }
}

async function loadRollouts() {
  const [r, rel] = await Promise.all([
    getJson('/api/rollouts').catch(() => ({ rollouts: [] })),
    getJson('/api/releases').catch(() => ({ releases: [] })),
  ]);
  rollouts.setRollouts(Array.isArray(r.rollouts) ? r.rollouts : []);
  rollouts.setReleases(Array.isArray(rel.releases) ? rel.releases : []);
}

/** Views loaded once (then kept fresh by the live feed). */
const loaded = new Set(['fleet']);
/** @type {Record<string, () => Promise<void>>} */
const loaders = { library: loadLibrary, rollouts: loadRollouts, preview: () => preview.load() };

function showView() {
  const view = (location.hash.slice(1) || 'fleet').split('/')[0] ?? 'fleet';
  const known = ['fleet', 'library', 'rollouts', 'preview'].includes(view) ? view : 'fleet';
  for (const section of document.querySelectorAll('section.view')) {
    /** @type {HTMLElement} */ (section).hidden = section.id !== `view-${known}`;
  }
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.getAttribute('data-view') === known);
  }
  if (started && !loaded.has(known)) {
    loaded.add(known);
    void loaders[known]?.();
  }
}

window.addEventListener('hashchange', showView);
$('filter').addEventListener('input', (ev) =>
  fleet.filter(
    /** @type {HTMLInputElement} */ (ev.target).value,
    /** @type {HTMLSelectElement} */ ($('state-filter')).value,
  ),
);
$('state-filter').addEventListener('change', (ev) =>
  fleet.filter(
    /** @type {HTMLInputElement} */ ($('filter')).value,
    /** @type {HTMLSelectElement} */ (ev.target).value,
  ),
);
setInterval(() => fleet.refreshTimes(), 5000);

/** Whether the data has been loaded (it needs a viewer login at least). */
let started = false;
/** Whether the session was checked once (a later login is a fresh start). */
let checked = false;

function start() {
  if (started) return;
  started = true;
  showView();
  connect(null);
  void loadFleet(checked);
}

showView();
void login.check().then(() => {
  checked = true;
});
