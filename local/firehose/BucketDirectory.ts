// A bucket as the local Firehose stores it: a directory whose files, by their path
// relative to it with `/` between names, are the object keys. Firehose writes an
// object to a temporary file and renames it in, so a listing never sees half an object.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * The keys under `prefix`, in S3's order (UTF-8 bytes). Only the prefix's directory is
 * walked, so listing an hour of a year's archive reads that hour's directory.
 */
export function bucketKeys(bucketDir: string, prefix = ''): string[] {
  const slash = prefix.lastIndexOf('/');
  const base = slash < 0 ? '' : prefix.slice(0, slash);
  if (base !== '' && !storableKey(base)) return [];
  const start = base === '' ? bucketDir : join(bucketDir, ...base.split('/'));
  const keys: string[] = [];
  const walk = (dir: string, keyPrefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const key = keyPrefix + entry.name;
      if (entry.isDirectory()) walk(join(dir, entry.name), key + '/');
      else if (entry.isFile() && key.startsWith(prefix)) keys.push(key);
    }
  };
  if (existsSync(start) && statSync(start).isDirectory()) walk(start, base === '' ? '' : base + '/');
  return keys.sort(byBytes);
}

/**
 * The file holding `key`, or undefined when there is none. A key the directory could
 * not hold as named (an empty, `.` or `..` segment, a NUL) names no object: it never
 * reaches a file outside the bucket, nor another key's file.
 */
export function objectFile(bucketDir: string, key: string): string | undefined {
  if (!storableKey(key)) return undefined;
  const path = resolve(bucketDir, ...key.split('/'));
  if (!path.startsWith(resolve(bucketDir) + sep)) return undefined;
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

function storableKey(key: string): boolean {
  return key.length > 0 && !key.includes('\0') && key.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
