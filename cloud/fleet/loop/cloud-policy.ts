/**
 * The hunger policy as a CloudPolicy: started by the cloud service with its store and events,
 * publishing each new library release through the cloud's own release service (upload, then a
 * rollout to the hungry fleet). Leave it out of `policies` and the loop is off.
 */
import { readFileSync } from 'node:fs';
import type { ReleaseService } from '../releases/service.js';
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
      publish: releasePublisher(() => cloud.releases, o),
    });
}

/**
 * The loop's `publish`: uploads the release file to a release service and rolls it out to the
 * hungry fleet. `service` is read at publish time (a shared cloud starts its service after it
 * may already lead).
 */
export function releasePublisher(
  service: () => ReleaseService | null,
  o: { readonly stages?: readonly number[]; readonly abortFailureRate?: number } = {},
): (releaseFile: string, fleet: string) => Promise<void> {
  return async (file, fleet) => {
    const releases = service();
    if (!releases) throw new Error('the release service has not started yet');
    const { release } = await releases.addRelease(new Uint8Array(readFileSync(file)));
    await releases.startRollout({
      release: release.id,
      fleet,
      ...(o.stages ? { stages: [...o.stages] } : {}),
      ...(o.abortFailureRate !== undefined ? { abortFailureRate: o.abortFailureRate } : {}),
    });
  };
}
