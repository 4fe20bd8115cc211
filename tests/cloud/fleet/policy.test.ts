/** The ACL tables as pure functions (cloud/fleet/broker/auth.ts), and the frame scanner. */
import { describe, expect, it } from 'vitest';
import {
  DEVICE_PUBLISH,
  DEVICE_SUBSCRIBE,
  devicePublishAllowed,
  deviceSubscribeAllowed,
  FrameLimitError,
  FrameScanner,
} from '../../../cloud/fleet/broker/index.js';

const me = { fleet: 'f1', id: 'd1' };

describe('ACL tables', () => {
  it('follow the DESIGN topic table', () => {
    expect([...DEVICE_PUBLISH].sort()).toEqual(
      [
        'birth',
        'evt/detection',
        'evt/drift',
        'jobs/{id}/update',
        'reported',
        'status',
        'stream/{sid}/get',
        'tel/hunger',
        'tel/perf',
      ].sort(),
    );
    expect([...DEVICE_SUBSCRIBE].sort()).toEqual(
      ['cmd/#', 'cmd/{name}', 'desired', 'jobs/notify', 'stream/{sid}/data'].sort(),
    );
  });

  it.each([
    ['lk/v1/f1/d1/status', true],
    ['lk/v1/f1/d1/tel/hunger', true],
    ['lk/v1/f1/d1/jobs/j1/update', true],
    ['lk/v1/f1/d1/stream/s1/get', true],
    ['lk/v1/f1/d2/status', false],
    ['lk/v1/f2/d1/status', false],
    ['lk/v1/f1/d1/desired', false],
    ['lk/v1/f1/d1/cmd/rebirth', false],
    ['lk/v1/f1/d1/tel/other', false],
    ['lk/v1/f1/d1/status/extra', false],
    ['$SYS/x', false],
  ])('publish %s → %s', (t, ok) => {
    expect(devicePublishAllowed(me, t)).toBe(ok);
  });

  it.each([
    ['lk/v1/f1/d1/desired', true],
    ['lk/v1/f1/d1/stream/+/data', true],
    ['lk/v1/f1/d1/cmd/#', true],
    ['lk/v1/f1/d1/cmd/+', true],
    ['lk/v1/f1/d1/#', false],
    ['lk/v1/f1/+/desired', false],
    ['lk/v1/+/d1/desired', false],
    ['lk/v1/f1/d2/desired', false],
    ['lk/v1/f1/d1/stream/#', false],
    ['lk/v1/f1/d1/status', false],
    ['$share/g/lk/v1/f1/d1/desired', false],
  ])('subscribe %s → %s', (t, ok) => {
    expect(deviceSubscribeAllowed(me, t)).toBe(ok);
  });
});

describe('FrameScanner', () => {
  it('passes packets up to the limit, split across chunks at any byte', () => {
    // PUBLISH with a two-byte remaining length (200 = 0xC8 0x01), then PINGREQ.
    const publish = Buffer.concat([Buffer.from([0x30, 0xc8, 0x01]), Buffer.alloc(200)]);
    const stream = Buffer.concat([publish, Buffer.from([0xc0, 0x00]), publish]);
    for (let cut = 0; cut <= stream.length; cut += 7) {
      const s = new FrameScanner(203);
      s.scan(stream.subarray(0, cut));
      s.scan(stream.subarray(cut));
    }
  });

  it('rejects a packet over the limit from its header alone', () => {
    const s = new FrameScanner(100);
    expect(() => s.scan(Buffer.from([0x30, 0xc8, 0x01]))).toThrow(FrameLimitError);
  });

  it('rejects a remaining length longer than four bytes (§2.2.3)', () => {
    expect(() => new FrameScanner(1 << 30).scan(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]))).toThrow(
      /malformed remaining length/,
    );
  });
});
