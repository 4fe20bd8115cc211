/**
 * The cloud's persistent subscriptions, kept across a broker restart in
 * `{dataDir}/operator-sessions.json`. aedes keeps sessions in memory, so after a restart the
 * cloud's subscribers (telemetry ingest, release service) have no session until they reconnect
 * and resubscribe; a device that reconnects first has its QoS 1 telemetry acknowledged and
 * matched against no subscriber, and its outbox forgets it: lost. Since issue 16 an operator
 * login costs one scrypt (timing equal to any username's) and waits its turn in the login guard
 * beside the devices', so a device often logs in first. Restoring the operator sessions'
 * subscriptions before the broker listens makes aedes queue those messages for them, delivered
 * when they reconnect (session present).
 * Only operator sessions are kept (devices resubscribe on every connect), and only plain
 * filters ($share groups belong to the process that joined them), bounded in number.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Aedes } from 'aedes';
import { writeFileAtomic } from '../../../shared/io/atomic.js';

const FILE = 'operator-sessions.json';
const MAX_SESSIONS = 64;
const MAX_FILTERS = 64;

type Sessions = Record<string, Record<string, 0 | 1 | 2>>;

function read(path: string, log: (line: string) => void): Sessions {
  if (!existsSync(path)) return {};
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    const out: Sessions = {};
    for (const [id, subs] of Object.entries(parsed as Record<string, unknown>).slice(0, MAX_SESSIONS)) {
      if (subs === null || typeof subs !== 'object' || Array.isArray(subs)) continue;
      const kept: Record<string, 0 | 1 | 2> = {};
      for (const [topic, qos] of Object.entries(subs as Record<string, unknown>).slice(0, MAX_FILTERS)) {
        if (qos === 0 || qos === 1 || qos === 2) kept[topic] = qos;
      }
      out[id] = kept;
    }
    return out;
  } catch (err) {
    log(`${path} unreadable (${(err as Error).message}); operator sessions start empty`);
    return {};
  }
}

export interface OperatorSessions {
  /** Subscriptions of a persistent operator session (after its SUBACK). */
  subscribed(clientId: string, subs: readonly { topic: string; qos: number }[]): void;
  unsubscribed(clientId: string, topics: readonly string[]): void;
  /** A clean-session connect: whatever the client id held is gone. */
  cleared(clientId: string): void;
}

/** Restores the kept sessions into `aedes` (before it listens) and keeps the file current. */
export async function restoreOperatorSessions(
  dataDir: string,
  aedes: Aedes,
  log: (line: string) => void,
): Promise<OperatorSessions> {
  const path = join(dataDir, FILE);
  const sessions = read(path, log);
  // aedes's typings leave out the persistence it keeps sessions in (aedes-persistence's API)
  const persistence = (
    aedes as unknown as {
      persistence: {
        addSubscriptions(client: { id: string }, subs: { topic: string; qos: number }[]): Promise<unknown>;
      };
    }
  ).persistence;
  for (const [id, subs] of Object.entries(sessions)) {
    const list = Object.entries(subs).map(([topic, qos]) => ({ topic, qos }));
    if (list.length > 0) await persistence.addSubscriptions({ id }, list);
  }
  const save = () => {
    try {
      writeFileAtomic(path, JSON.stringify(sessions));
    } catch (err) {
      log(`cannot save ${path}: ${(err as Error).message}`);
    }
  };
  return {
    subscribed(clientId, subs) {
      const plain = subs.filter((s) => !s.topic.startsWith('$share/') && (s.qos === 1 || s.qos === 2));
      if (plain.length === 0) return;
      if (!sessions[clientId] && Object.keys(sessions).length >= MAX_SESSIONS) return;
      const kept = (sessions[clientId] ??= {});
      for (const s of plain) {
        if (kept[s.topic] === undefined && Object.keys(kept).length >= MAX_FILTERS) continue;
        kept[s.topic] = s.qos as 1 | 2;
      }
      save();
    },
    unsubscribed(clientId, topics) {
      const kept = sessions[clientId];
      if (!kept) return;
      for (const t of topics) delete kept[t];
      if (Object.keys(kept).length === 0) delete sessions[clientId];
      save();
    },
    cleared(clientId) {
      if (!sessions[clientId]) return;
      delete sessions[clientId];
      save();
    },
  };
}
