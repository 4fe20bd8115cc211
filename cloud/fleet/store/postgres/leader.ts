/**
 * One leader among the cloud processes for the work that must happen once (rollouts, the hunger
 * loop): whoever holds a PostgreSQL session-level advisory lock. The lock lives as long as the
 * session, so it is released by the server the moment the leader's connection ends.
 *
 * Takeover bound. Followers try the lock every `pollMs`. A leader process that exits or is
 * killed closes its socket and the server frees the lock at once: a follower leads within
 * `pollMs` plus one round trip. A leader whose machine or network vanishes is noticed by the
 * server's TCP keepalives, set on this session to idle 5 s, interval 2 s, 3 probes: the lock is
 * free after at most ~11 s, so a follower leads within ~11 s + `pollMs`. The leader checks its own
 * session every `pollMs` and steps down (onDeposed) when a check fails or takes longer than
 * `checkTimeoutMs`, which is shorter than the server's bound, so two processes never act as
 * leader at once for longer than that check.
 */
import type pg from 'pg';
import { openClient } from './connect.js';

export interface LeaderOptions {
  readonly url: string;
  /** Advisory lock key; processes that compete share it. @defaultValue LEADER_DEFAULTS.key */
  readonly key?: number;
  /** How often followers try the lock and the leader checks its session, in ms. @defaultValue 1000 */
  readonly pollMs?: number;
  /** A session check slower than this deposes the leader, in ms. @defaultValue 3000 */
  readonly checkTimeoutMs?: number;
  /** Called when this process becomes leader (start the leader-only work). */
  readonly onElected: () => void | Promise<void>;
  /** Called when it stops being leader (stop that work at once). */
  readonly onDeposed: (reason: string) => void | Promise<void>;
  readonly log?: (line: string) => void;
  /** This process in pg_stat_activity's application_name, so operators can see who leads. */
  readonly name?: string;
}

export const LEADER_DEFAULTS = Object.freeze({ key: 0x6c6b_1eade, pollMs: 1000, checkTimeoutMs: 3000 });

export interface Leadership {
  readonly isLeader: boolean;
  /** Steps down (if leading) and stops competing. */
  close(): Promise<void>;
}

export function competeForLeadership(options: LeaderOptions): Leadership {
  const o = { ...LEADER_DEFAULTS, ...options };
  const log = options.log ?? (() => {});
  let client: pg.Client | null = null;
  let leader = false;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;

  const dropClient = () => {
    const c = client;
    client = null;
    c?.end().catch(() => {});
  };

  const stepDown = async (reason: string) => {
    dropClient();
    if (!leader) return;
    leader = false;
    log(`no longer leader: ${reason}`);
    await o.onDeposed(reason);
  };

  const withTimeout = <T>(p: Promise<T>): Promise<T> =>
    Promise.race([
      p,
      new Promise<T>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no answer within ${o.checkTimeoutMs} ms`)),
          o.checkTimeoutMs,
        ).unref(),
      ),
    ]);

  const round = async () => {
    try {
      if (!client) {
        client = await openClient(o.url, o.checkTimeoutMs, o.name ? `liquidkan-leader ${o.name}` : undefined);
        client.on('error', () => {});
        await client.query(
          'SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3',
        );
      }
      if (leader) {
        await withTimeout(client.query('SELECT 1'));
        return;
      }
      const r = await withTimeout(
        client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [o.key]),
      );
      if (r.rows[0]?.ok && !closed) {
        leader = true;
        log('elected leader');
        await o.onElected();
      }
    } catch (err) {
      await stepDown((err as Error).message);
    }
  };

  const loop = async () => {
    await round();
    if (!closed) timer = setTimeout(loop, o.pollMs);
  };
  void loop();

  return {
    get isLeader() {
      return leader;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await stepDown('shutting down');
      dropClient();
    },
  };
}
