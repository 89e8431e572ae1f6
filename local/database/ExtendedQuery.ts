// The PostgreSQL extended-query messages for one statement (Parse, Bind, Describe,
// Execute, Sync), all values and results in text format. PGlite is driven with
// these directly because its query() drops what the Data API reports in column
// metadata (source table, column number, type modifier).
import type { SqlParam } from './types.ts';

export function extendedQuery(sql: string, params: readonly SqlParam[]): Uint8Array {
  return Buffer.concat([parse(sql), bind(params), describePortal(), execute(), sync()]);
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const cstring = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
const int16 = (n: number) => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
const int32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };

/** Unnamed statement; no parameter types, so PostgreSQL infers them (the SQL carries the casts). */
function parse(sql: string): Buffer {
  return message('P', Buffer.concat([cstring(''), cstring(sql), int16(0)]));
}

function bind(params: readonly SqlParam[]): Buffer {
  const parts: Buffer[] = [cstring(''), cstring(''), int16(0), int16(params.length)];
  for (const p of params) {
    if (p === null) {
      parts.push(int32(-1));
    } else {
      const v = Buffer.from(p, 'utf8');
      parts.push(int32(v.length), v);
    }
  }
  parts.push(int16(0));
  return message('B', Buffer.concat(parts));
}

const describePortal = () => message('D', Buffer.concat([Buffer.from('P', 'latin1'), cstring('')]));
const execute = () => message('E', Buffer.concat([cstring(''), int32(0)]));
const sync = () => message('S', Buffer.alloc(0));
