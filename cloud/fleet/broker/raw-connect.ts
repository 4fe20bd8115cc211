/**
 * Raw MQTT 3.1.1 CONNECTs from a chosen local address (mqtt.js cannot bind one), for the login
 * attack test and benchmark: a flood from 127.0.0.2 while a real device logs in from 127.0.0.1.
 */
import { connect as netConnect, type Socket } from 'node:net';

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const out = Buffer.alloc(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

/** A CONNECT packet (MQTT 3.1.1 §3.1) with clean session, username and password. */
export function connectPacket(clientId: string, username: string, password: string): Buffer {
  const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0xc2, 0x00, 0x3c]);
  const body = Buffer.concat([variable, str(clientId), str(username), str(password)]);
  const len: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x10, ...len]), body]);
}

/**
 * Sends one CONNECT from `localAddress` and resolves with the CONNACK return code, or null if
 * the connection closed without one.
 */
export function rawConnect(
  port: number,
  localAddress: string,
  creds: { clientId: string; username: string; password: string },
): { done: Promise<number | null>; socket: Socket } {
  const socket = netConnect({ port, host: '127.0.0.1', localAddress });
  const done = new Promise<number | null>((resolve) => {
    let got = Buffer.alloc(0);
    socket.on('connect', () => socket.write(connectPacket(creds.clientId, creds.username, creds.password)));
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      // CONNACK: 0x20, 0x02, flags, return code
      if (got.length >= 4 && got[0] === 0x20) {
        resolve(got[3]!);
        socket.destroy();
      }
    });
    socket.on('error', () => resolve(null));
    socket.on('close', () => resolve(null));
  });
  return { done, socket };
}
