// Reads a Data API SQL string the way the service does before it reaches
// PostgreSQL: finds the `:name` parameters (outside literals, quoted identifiers,
// comments, dollar quotes and `::` casts) and refuses more than one statement.

export interface ParsedSql {
  /** The SQL split around parameters: text[0] param[0] text[1] ... text[n]. */
  readonly chunks: string[];
  /** Parameter names in order of appearance (a name may repeat). */
  readonly names: string[];
  /** True when a `;` outside quotes is followed by another statement. */
  readonly multipleStatements: boolean;
  /** The SQL has nothing but whitespace and comments. */
  readonly empty: boolean;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

export function parseSql(sql: string): ParsedSql {
  const chunks: string[] = [];
  const names: string[] = [];
  let chunkStart = 0;
  let i = 0;
  let sawSemicolon = false;
  let multipleStatements = false;
  let hasContent = false;
  const n = sql.length;
  const markContent = () => {
    if (sawSemicolon) multipleStatements = true;
    hasContent = true;
  };
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') { depth++; i += 2; }
        else if (sql[i] === '*' && sql[i + 1] === '/') { depth--; i += 2; }
        else i++;
      }
    } else if (c === "'") {
      markContent();
      // E'...' strings allow backslash escapes; standard strings only ''.
      const escaped = i > 0 && (sql[i - 1] === 'E' || sql[i - 1] === 'e') && (i < 2 || !IDENT_PART.test(sql[i - 2]!));
      i++;
      while (i < n) {
        if (escaped && sql[i] === '\\') { i += 2; continue; }
        if (sql[i] === "'") {
          if (sql[i + 1] === "'") { i += 2; continue; }
          break;
        }
        i++;
      }
      i++;
    } else if (c === '"') {
      markContent();
      i++;
      while (i < n) {
        if (sql[i] === '"') {
          if (sql[i + 1] === '"') { i += 2; continue; }
          break;
        }
        i++;
      }
      i++;
    } else if (c === '$' && (i === 0 || !IDENT_PART.test(sql[i - 1]!))) {
      markContent();
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (m) {
        const tag = m[0];
        const end = sql.indexOf(tag, i + tag.length);
        i = end < 0 ? n : end + tag.length;
      } else {
        i++;
      }
    } else if (c === ':' && next === ':') {
      markContent();
      i += 2;
    } else if (c === ':' && next !== undefined && IDENT_START.test(next)) {
      markContent();
      let j = i + 1;
      while (j < n && IDENT_PART.test(sql[j]!)) j++;
      chunks.push(sql.slice(chunkStart, i));
      names.push(sql.slice(i + 1, j));
      chunkStart = j;
      i = j;
    } else if (c === ';') {
      sawSemicolon = true;
      i++;
    } else {
      if (!/\s/.test(c)) markContent();
      i++;
    }
  }
  chunks.push(sql.slice(chunkStart));
  return { chunks, names, multipleStatements, empty: !hasContent };
}
