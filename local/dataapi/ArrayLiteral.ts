// Parses PostgreSQL's text form of an array ('{1,2,NULL}', '{{"a b","c"},{d,e}}',
// '[0:1]={x,y}') into nested JS arrays of element texts (null for NULL).

export type ArrayTree = (string | null | ArrayTree)[];

export function parseArrayLiteral(text: string): ArrayTree {
  let i = 0;
  // An explicit lower bound ('[2:3]={...}') only shifts indexes; the Data API drops it.
  if (text[0] === '[') {
    const eq = text.indexOf('=');
    i = eq + 1;
  }
  const parseLevel = (): ArrayTree => {
    if (text[i] !== '{') throw new Error(`malformed array literal: ${text}`);
    i++;
    const out: ArrayTree = [];
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      if (text[i] === '{') {
        out.push(parseLevel());
      } else if (text[i] === '"') {
        i++;
        let s = '';
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          s += text[i];
          i++;
        }
        i++;
        out.push(s);
      } else {
        const start = i;
        while (i < text.length && text[i] !== ',' && text[i] !== '}') i++;
        const raw = text.slice(start, i).trim();
        out.push(raw === 'NULL' ? null : raw);
      }
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      throw new Error(`malformed array literal: ${text}`);
    }
  };
  return parseLevel();
}
