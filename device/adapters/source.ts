/**
 * Byte sources for the adapters: a file or stdin ('-'), with the first bytes peeked so the
 * format can be detected (RIFF → WAV) without losing them, and a line splitter over the bytes.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { InputError } from '../../shared/errors.js';

export type InputFormat = 'csv' | 'jsonl' | 'wav';
export const INPUT_FORMATS = ['csv', 'jsonl', 'wav', 'auto'] as const;

export interface ByteSource {
  /** 'stdin' or the file path, for messages. */
  readonly name: string;
  /** The first chunk (may be empty when the input is empty). */
  readonly head: Buffer;
  /** Every chunk, the head included. */
  chunks(): AsyncIterable<Buffer>;
}

/** Opens `path` ('-' = stdin) and reads its first chunk. */
export async function openSource(path: string, stdin: Readable = process.stdin): Promise<ByteSource> {
  const stream = path === '-' ? stdin : createReadStream(path);
  const name = path === '-' ? 'stdin' : path;
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  let first: IteratorResult<Buffer | string>;
  try {
    first = await it.next();
  } catch (err) {
    throw new InputError(`${name}: cannot read the input (${(err as Error).message})`, { cause: err });
  }
  const toBuf = (c: Buffer | string) => (typeof c === 'string' ? Buffer.from(c) : c);
  const head = first.done ? Buffer.alloc(0) : toBuf(first.value);
  return {
    name,
    head,
    async *chunks() {
      if (head.length) yield head;
      if (first.done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield toBuf(r.value);
      }
    },
  };
}

/** The format named by --format, else by the file extension, else by the first bytes. */
export function detectFormat(requested: string, source: ByteSource): InputFormat {
  if (requested !== 'auto') return requested as InputFormat;
  if (source.head.subarray(0, 4).toString('latin1') === 'RIFF') return 'wav';
  const ext = /\.([a-z]+)$/i.exec(source.name)?.[1]?.toLowerCase();
  if (ext === 'wav' || ext === 'wave') return 'wav';
  if (ext === 'csv' || ext === 'tsv') return 'csv';
  if (ext === 'jsonl' || ext === 'ndjson' || ext === 'json') return 'jsonl';
  const firstChar = source.head.toString('utf8').trimStart()[0];
  return firstChar === '{' || source.name === 'stdin' ? 'jsonl' : 'csv';
}

/** Text lines of a byte stream (\n or \r\n), the last one even without a newline. */
export async function* lines(chunks: AsyncIterable<Buffer>): AsyncIterable<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}
