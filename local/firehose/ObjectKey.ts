// S3 keys as Firehose names its objects: the prefix (with `!{timestamp:...}`
// expressions, or the default `YYYY/MM/dd/HH/` in UTC of the oldest record), then
// `<deliveryStreamName>-<version>-<YYYY-MM-dd-HH-mm-ss>-<random>`.

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Formats a UTC time with the Java DateTimeFormatter letters Firehose prefixes use. */
export function formatTimestamp(pattern: string, ms: number): string {
  const d = new Date(ms);
  const parts: Record<string, string> = {
    yyyy: String(d.getUTCFullYear()), MM: pad(d.getUTCMonth() + 1), dd: pad(d.getUTCDate()),
    HH: pad(d.getUTCHours()), mm: pad(d.getUTCMinutes()), ss: pad(d.getUTCSeconds()),
  };
  return pattern.replace(/yyyy|MM|dd|HH|mm|ss/g, (t) => parts[t]!);
}

/**
 * `errorOutputType` evaluates `!{firehose:error-output-type}` in an error output
 * prefix (an object of records Firehose could not deliver).
 */
export function objectKey(deliveryStreamName: string, prefix: string, oldestArrivalMs: number, id: string, extension = '', errorOutputType = ''): string {
  let p: string;
  if (prefix.includes('!{')) {
    p = prefix.replace(/!\{timestamp:([^}]*)\}/g, (_, f: string) => formatTimestamp(f, oldestArrivalMs))
      .replace(/!\{firehose:random-string\}/g, id.replace(/-/g, '').slice(0, 11))
      .replace(/!\{firehose:error-output-type\}/g, errorOutputType);
  } else {
    p = prefix + formatTimestamp('yyyy/MM/dd/HH/', oldestArrivalMs);
  }
  return `${p}${deliveryStreamName}-1-${formatTimestamp('yyyy-MM-dd-HH-mm-ss', oldestArrivalMs)}-${id}${extension}`;
}
