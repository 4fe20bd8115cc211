/** MQTT topic names from the DESIGN table: builders, the parser, and QoS/retain as data. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../shared/errors.js';
import {
  cmdTopic,
  deviceTopic,
  deviceWildcard,
  fleetWildcard,
  jobUpdateTopic,
  parseTopic,
  streamDataTopic,
  streamGetTopic,
  TOPIC_KINDS,
  TOPIC_POLICY,
  tryParseTopic,
} from '../../../shared/types/topics.js';

const ref = { fleet: 'farm-1', device: 'pi-07' };

describe('topic builders', () => {
  it('build every DESIGN row under lk/v1/{fleet}/{device}', () => {
    expect(deviceTopic(ref, 'status')).toBe('lk/v1/farm-1/pi-07/status');
    expect(deviceTopic(ref, 'birth')).toBe('lk/v1/farm-1/pi-07/birth');
    expect(deviceTopic(ref, 'desired')).toBe('lk/v1/farm-1/pi-07/desired');
    expect(deviceTopic(ref, 'reported')).toBe('lk/v1/farm-1/pi-07/reported');
    expect(deviceTopic(ref, 'jobs/notify')).toBe('lk/v1/farm-1/pi-07/jobs/notify');
    expect(deviceTopic(ref, 'tel/hunger')).toBe('lk/v1/farm-1/pi-07/tel/hunger');
    expect(deviceTopic(ref, 'tel/perf')).toBe('lk/v1/farm-1/pi-07/tel/perf');
    expect(deviceTopic(ref, 'evt/drift')).toBe('lk/v1/farm-1/pi-07/evt/drift');
    expect(jobUpdateTopic(ref, 'job-42')).toBe('lk/v1/farm-1/pi-07/jobs/job-42/update');
    expect(streamGetTopic(ref, 's1')).toBe('lk/v1/farm-1/pi-07/stream/s1/get');
    expect(streamDataTopic(ref, 's1')).toBe('lk/v1/farm-1/pi-07/stream/s1/data');
    expect(cmdTopic(ref, 'rollback')).toBe('lk/v1/farm-1/pi-07/cmd/rollback');
    expect(deviceWildcard(ref)).toBe('lk/v1/farm-1/pi-07/#');
    expect(fleetWildcard('farm-1', 'status')).toBe('lk/v1/farm-1/+/status');
  });

  it('refuse bad ids, wildcards in parameters and unknown commands', () => {
    expect(() => deviceTopic({ fleet: 'Farm', device: 'x' }, 'status')).toThrow(/fleet id 'Farm'/);
    expect(() => deviceTopic({ fleet: 'f', device: 'a/b' }, 'status')).toThrow(InputError);
    expect(() => deviceTopic({ fleet: 'f', device: 'x'.repeat(65) }, 'status')).toThrow(/device id/);
    expect(() => jobUpdateTopic(ref, '+')).toThrow(/job id '\+'/);
    expect(() => streamGetTopic(ref, 'a/b')).toThrow(/stream id/);
    expect(() => cmdTopic(ref, 'format-disk' as never)).toThrow(/not one of reselect/);
    expect(() => deviceTopic(ref, 'cmd' as never)).toThrow(/not a plain kind/);
  });
});

describe('parseTopic', () => {
  it('round-trips every builder', () => {
    expect(parseTopic(deviceTopic(ref, 'tel/perf'))).toEqual({ ...ref, kind: 'tel/perf', rest: '' });
    expect(parseTopic(jobUpdateTopic(ref, 'j1'))).toEqual({ ...ref, kind: 'jobs/update', rest: 'j1' });
    expect(parseTopic(streamGetTopic(ref, 'S_2'))).toEqual({ ...ref, kind: 'stream/get', rest: 'S_2' });
    expect(parseTopic(streamDataTopic(ref, 'S_2'))).toEqual({ ...ref, kind: 'stream/data', rest: 'S_2' });
    expect(parseTopic(cmdTopic(ref, 'tau-reset'))).toEqual({ ...ref, kind: 'cmd', rest: 'tau-reset' });
  });

  it('refuses topics outside the table, naming the part', () => {
    const bad: [string, RegExp][] = [
      ['lk/v2/farm-1/pi-07/status', /expected lk\/v1/],
      ['lk/v1/farm-1/pi-07', /expected lk\/v1/],
      ['lk/v1/FARM/pi-07/status', /fleet id 'FARM'/],
      ['lk/v1/farm-1/+/status', /device id '\+'/],
      ['lk/v1/farm-1/pi-07/telemetry', /'telemetry' is not a known topic kind/],
      ['lk/v1/farm-1/pi-07/jobs/update', /not a known topic kind/],
      ['lk/v1/farm-1/pi-07/jobs/#/update', /'#' must match/],
      ['lk/v1/farm-1/pi-07/cmd/halt', /command 'halt'/],
      ['lk/v1/farm-1/pi-07/cmd', /not a known topic kind/],
      ['lk/v1/farm-1/pi-07/status/extra', /not a known topic kind/],
    ];
    for (const [topic, why] of bad) {
      expect(() => parseTopic(topic), topic).toThrow(why);
      expect(tryParseTopic(topic)).toBeUndefined();
    }
  });
});

describe('TOPIC_POLICY', () => {
  it('has one entry per kind with the DESIGN QoS, retain and publisher', () => {
    expect(Object.keys(TOPIC_POLICY).sort()).toEqual([...TOPIC_KINDS].sort());
    const retained = TOPIC_KINDS.filter((k) => TOPIC_POLICY[k].retain).sort();
    expect(retained).toEqual(['birth', 'desired', 'jobs/notify', 'reported', 'status']);
    expect(TOPIC_POLICY['tel/hunger']).toMatchObject({ from: 'device', minQos: 0 });
    expect(TOPIC_POLICY['stream/data'].from).toBe('cloud');
    expect(TOPIC_POLICY['jobs/update']).toMatchObject({ from: 'device', qos: 1, retain: false });
    expect(Object.isFrozen(TOPIC_POLICY)).toBe(true);
  });
});
