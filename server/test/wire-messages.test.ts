import { describe, expect, it } from 'vitest';
import { WireMessages } from '../src/db/wire-messages.ts';

/** The watchdog's reading of the Postgres wire framing, whatever way the bytes are chunked. */

function typed(type: string, body: string): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(4 + Buffer.byteLength(body), 1);
  return Buffer.concat([header, Buffer.from(body)]);
}

function startup(): Buffer {
  const body = Buffer.from('user\0postgres\0\0');
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + body.length, 0);
  header.writeInt32BE(196_608, 4);
  return Buffer.concat([header, body]);
}

function read(chunks: Buffer[], clientSide: boolean): string[] {
  const seen: string[] = [];
  const messages = new WireMessages(
    (message) =>
      seen.push('type' in message ? String.fromCharCode(message.type) : `#${message.requestCode}`),
    { clientSide },
  );
  for (const chunk of chunks) messages.push(chunk);
  return seen;
}

describe('WireMessages', () => {
  const client = Buffer.concat([
    startup(),
    typed('P', 'select $1\0\0\0'),
    typed('D', 'S\0'),
    typed('H', ''),
    typed('B', '\0\0\0\0\0\0\0'),
    typed('E', '\0\0\0\0\0'),
    typed('S', ''),
  ]);
  const server = Buffer.concat([typed('1', ''), typed('T', 'x'.repeat(300)), typed('Z', 'I')]);

  it('reads a client stream split at every possible point', () => {
    const whole = read([client], true);
    expect(whole).toEqual(['#196608', 'P', 'D', 'H', 'B', 'E', 'S']);
    for (let cut = 1; cut < client.length; cut += 1) {
      expect(read([client.subarray(0, cut), client.subarray(cut)], true)).toEqual(whole);
    }
  });

  it('reads a server stream byte by byte', () => {
    const bytes = [...server].map((byte) => Buffer.from([byte]));
    expect(read(bytes, false)).toEqual(['1', 'T', 'Z']);
  });
});
