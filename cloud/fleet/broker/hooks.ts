/**
 * aedes glue: turns a BrokerPolicy into aedes's authenticate / authorizePublish /
 * authorizeSubscribe handlers. The principal of each connection is kept in a WeakMap keyed by
 * the aedes Client, so nothing is attached to aedes's objects.
 */
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import { MAX_CONTROL_BYTES } from '../../../shared/types/sync.js';
import { TOPIC_POLICY, tryParseTopic } from '../../../shared/types/topics.js';
import type { BrokerPolicy, Principal } from './auth.js';
import type { LoginGuard } from './login-guard.js';

type Hooks = Required<
  Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>
>;

/** Device-side control rows (JSON, each at most MAX_CONTROL_BYTES by its schema in shared/types/sync.ts). */
const DEVICE_CONTROL_KINDS: ReadonlySet<string> = new Set([
  'status',
  'birth',
  'reported',
  'jobs/update',
  'stream/get',
]);

/** CONNACK return codes, MQTT 3.1.1 §3.2.2.3 (aedes's AuthErrorCode is a const enum). */
const CONNACK = { identifierRejected: 2, serverUnavailable: 3, badCredentials: 4 } as const;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * Why a device's retained publish is refused, or null: only the rows the DESIGN table marks
 * retained (`status`, `birth`, `reported`) keep a message, each at most MAX_CONTROL_BYTES, so
 * what one device leaves in the broker is bounded by three control messages.
 */
export function retainRefusal(topic: string, bytes: number): 'not-retained' | 'too-big' | null {
  const kind = tryParseTopic(topic)?.kind;
  if (!kind || !TOPIC_POLICY[kind].retain) return 'not-retained';
  return bytes > MAX_CONTROL_BYTES ? 'too-big' : null;
}

export interface HookOptions {
  readonly onAuthenticated?: (client: Client, principal: Principal) => void;
  /** Bounds password checks (login-guard.ts); none = every CONNECT is checked at once. */
  readonly guard?: LoginGuard;
  /** The peer address of a client's connection, for the guard. @defaultValue '' */
  readonly addressOf?: (client: Client) => string;
}

export function aedesHooks(
  policy: BrokerPolicy,
  log: (line: string) => void,
  options: HookOptions = {},
): Hooks {
  const principals = new WeakMap<Client, Principal>();
  let dropsOversized = 0;
  const authenticate = (client: Client, username: string | undefined, password: Buffer | undefined) => {
    const run = () => policy.authenticate(username, password, client.id);
    if (!options.guard) return run();
    return options.guard.check(options.addressOf?.(client) ?? '', run, (r) => typeof r !== 'object');
  };
  return {
    authenticate(client, username, password, done) {
      authenticate(client, username, password).then(
        (result) => {
          if (result === 'busy' || result === 'backoff') {
            const why =
              result === 'busy' ? 'too many logins waiting' : 'too many failed logins from its address';
            log(`refused connect from client '${client.id}' without a password check: ${why}`);
            done(authError('server busy, try later', CONNACK.serverUnavailable), false);
          } else if (result === 'bad-credentials') {
            log(
              `refused connect from client '${client.id}' (user '${username ?? ''}'): bad username or password`,
            );
            done(authError('bad username or password', CONNACK.badCredentials), false);
          } else if (result === 'identifier-rejected') {
            log(`refused connect from client '${client.id}': a device's client id must be its username`);
            done(authError('client id must equal the username', CONNACK.identifierRejected), false);
          } else {
            principals.set(client, result);
            options.onAuthenticated?.(client, result);
            done(null, true);
          }
        },
        (err: unknown) => {
          log(`authentication of '${client.id}' failed: ${(err as Error).message}`);
          done(authError('authentication failed', CONNACK.badCredentials), false);
        },
      );
    },

    // An error here makes aedes close the connection without acknowledging the PUBLISH
    // [MQTT-3.3.5-2]; the message reaches no subscriber.
    authorizePublish(client, packet, done) {
      const principal = client ? principals.get(client) : undefined;
      if (!client) {
        // A will left behind by a broker instance that is gone: only a device's own `status`
        // topic is ever a will (DESIGN table, `status` row).
        done(tryParseTopic(packet.topic)?.kind === 'status' ? null : new Error('orphan will refused'));
        return;
      }
      if (principal && policy.authorizePublish(principal, packet.topic)) {
        if (principal.kind === 'device' && packet.retain) {
          const refusal = retainRefusal(packet.topic, packet.payload.length);
          if (refusal === 'too-big') {
            log(
              `denied retained publish of ${packet.payload.length} bytes by '${client.id}' to '${packet.topic}'`,
            );
            done(new Error(`retained message over ${MAX_CONTROL_BYTES} bytes`));
            return;
          }
          if (refusal === 'not-retained') {
            // kept by the broker it would outlive the connection and replay to every later
            // subscriber; delivered once, unretained, it costs nothing after delivery
            log(`retain flag refused on '${packet.topic}' from '${client.id}'; delivered unretained`);
            packet.retain = false;
          }
        }
        done(null);
        return;
      }
      log(`denied publish by '${client.id}' to '${packet.topic}'`);
      done(new Error(`publish to '${packet.topic}' not authorized`));
    },

    // A control message over its bound is dropped here rather than delivered: every receiver
    // would refuse it anyway (parseControl), after copying it (1,000 of 200 KiB grew the cloud).
    authorizeForward(client, packet) {
      if (packet.payload.length <= MAX_CONTROL_BYTES) return packet;
      const kind = tryParseTopic(packet.topic)?.kind;
      if (!kind || !DEVICE_CONTROL_KINDS.has(kind)) return packet;
      if (dropsOversized++ % 100 === 0) {
        log(
          `not forwarding ${packet.payload.length}-byte '${kind}' messages (over ${MAX_CONTROL_BYTES}) to '${client.id}' (${dropsOversized} so far)`,
        );
      }
      return null;
    },

    // A null subscription is refused with SUBACK return code 0x80 [MQTT-3.9.3]; the
    // connection stays up.
    authorizeSubscribe(client, subscription, done) {
      const principal = principals.get(client);
      if (principal && policy.authorizeSubscribe(principal, subscription.topic)) {
        done(null, subscription);
        return;
      }
      log(`denied subscribe by '${client.id}' to '${subscription.topic}'`);
      done(null, null);
    },
  };
}
