/**
 * The hunger policy as a CloudPolicy: started by the cloud service with its store and events,
 * publishing each new library release through the cloud's own release service (upload, then a
 * rollout to the hungry fleet). Leave it out of `policies` and the loop is off.
 */
import { readFileSync } from 'node:fs';
import type { CloudPolicy } from '../service.js';
import { startHungerPolicy } from './policy.js';
import type { HungerPolicyOptions } from './types.js';

export interface HungerCloudPolicyOptions
  extends Pick<
    HungerPolicyOptions,
    'signingKey' | 'signingKeyFile' | 'thresholds' | 'discovery' | 'seed' | 'intervalMs' | 'debounceMs'
  > {
  /** Rollout stages for the releases the loop makes, percent. @defaultValue the release service's */
  readonly stages?: readonly number[];
  readonly abortFailureRate?: number;
}

export function hungerCloudPolicy(o: HungerCloudPolicyOptions): CloudPolicy {
  return (cloud) =>
    startHungerPolicy({
      ...o,
      store: cloud.store,
      events: cloud.events,
      dataDir: cloud.dataDir,
      log: (line) => cloud.log(`loop: ${line}`),
      async publish(file, fleet) {
        const { release } = await cloud.releases.addRelease(new Uint8Array(readFileSync(file)));
        await cloud.releases.startRollout({
          release: release.id,
          fleet,
          ...(o.stages ? { stages: [...o.stages] } : {}),
          ...(o.abortFailureRate !== undefined ? { abortFailureRate: o.abortFailureRate } : {}),
        });
      },
    });
}
