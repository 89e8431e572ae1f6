// What the Data API needs to know about each PostgreSQL type: its name, category,
// element type (arrays) and the JDBC description Aurora reports in columnMetadata
// (Aurora PostgreSQL answers through the PostgreSQL JDBC driver, so type codes,
// precision and scale follow that driver's conventions).
import type { SqlDatabase, SqlResult } from '../database/index.ts';

/** Runs a catalog query on the connection at hand (PGlite has only one). */
export type CatalogQuery = (sql: string) => Promise<SqlResult>;

export interface PgType {
  oid: number;
  name: string;
  /** pg_type.typcategory: A array, B boolean, N numeric, S string, D date/time, U user, ... */
  category: string;
  /** Element type of an array, 0 otherwise. */
  elementOid: number;
  /** For a domain, the type it is based on; 0 otherwise. */
  baseOid: number;
}

/** java.sql.Types codes. */
export const JDBC = {
  BIT: -7, SMALLINT: 5, INTEGER: 4, BIGINT: -5, REAL: 7, DOUBLE: 8, NUMERIC: 2, CHAR: 1, VARCHAR: 12,
  BINARY: -2, DATE: 91, TIME: 92, TIMESTAMP: 93, OTHER: 1111, ARRAY: 2003,
} as const;

// The PostgreSQL JDBC driver's TypeInfoCache: type code and (precision, scale)
// for an unconstrained column of each built-in type.
const JDBC_TYPES: Record<string, { type: number; precision: number; scale: number }> = {
  bool: { type: JDBC.BIT, precision: 1, scale: 0 },
  int2: { type: JDBC.SMALLINT, precision: 5, scale: 0 },
  int4: { type: JDBC.INTEGER, precision: 10, scale: 0 },
  oid: { type: JDBC.BIGINT, precision: 10, scale: 0 },
  int8: { type: JDBC.BIGINT, precision: 19, scale: 0 },
  float4: { type: JDBC.REAL, precision: 8, scale: 8 },
  float8: { type: JDBC.DOUBLE, precision: 17, scale: 17 },
  numeric: { type: JDBC.NUMERIC, precision: 0, scale: 0 },
  money: { type: JDBC.DOUBLE, precision: 0, scale: 0 },
  bpchar: { type: JDBC.CHAR, precision: 2147483647, scale: 0 },
  char: { type: JDBC.CHAR, precision: 1, scale: 0 },
  varchar: { type: JDBC.VARCHAR, precision: 2147483647, scale: 0 },
  text: { type: JDBC.VARCHAR, precision: 2147483647, scale: 0 },
  name: { type: JDBC.VARCHAR, precision: 2147483647, scale: 0 },
  bytea: { type: JDBC.BINARY, precision: 2147483647, scale: 0 },
  date: { type: JDBC.DATE, precision: 13, scale: 0 },
  time: { type: JDBC.TIME, precision: 15, scale: 6 },
  timetz: { type: JDBC.TIME, precision: 21, scale: 6 },
  timestamp: { type: JDBC.TIMESTAMP, precision: 29, scale: 6 },
  timestamptz: { type: JDBC.TIMESTAMP, precision: 35, scale: 6 },
  interval: { type: JDBC.OTHER, precision: 49, scale: 6 },
};

export class TypeCatalog {
  private readonly types = new Map<number, PgType>();

  static async load(db: SqlDatabase): Promise<TypeCatalog> {
    const c = new TypeCatalog();
    await c.refresh((sql) => db.query(sql));
    return c;
  }

  /** Looks a type up, reloading the catalog (through `query`) once for a type created after start. */
  async get(oid: number, query: CatalogQuery): Promise<PgType> {
    let t = this.types.get(oid);
    if (!t) {
      await this.refresh(query);
      t = this.types.get(oid);
    }
    return t ?? { oid, name: 'unknown', category: 'X', elementOid: 0, baseOid: 0 };
  }

  /** Synchronous lookup of a type already loaded. */
  known(oid: number): PgType | undefined {
    return this.types.get(oid);
  }

  private async refresh(query: CatalogQuery): Promise<void> {
    const r = await query('SELECT oid::int4, typname::text, typcategory::text, typelem::int4, typbasetype::int4 FROM pg_type');
    for (const [oid, name, category, elem, base] of r.rows) {
      this.types.set(Number(oid), { oid: Number(oid), name: name!, category: category!, elementOid: Number(elem), baseOid: Number(base) });
    }
  }
}

/** JDBC type code, precision and scale of a column of type `t` with modifier `typmod`. */
export function jdbcDescription(t: PgType, element: PgType | undefined, typmod: number): { type: number; precision: number; scale: number; arrayBase: number } {
  if (t.category === 'A' && element) {
    const base = JDBC_TYPES[element.name]?.type ?? JDBC.OTHER;
    return { type: JDBC.ARRAY, precision: 2147483647, scale: 0, arrayBase: base };
  }
  const known = JDBC_TYPES[t.name];
  const d = { type: known?.type ?? (t.category === 'S' ? JDBC.VARCHAR : JDBC.OTHER), precision: known?.precision ?? 2147483647, scale: known?.scale ?? 0, arrayBase: 0 };
  if (typmod >= 0) {
    if (t.name === 'numeric') {
      d.precision = ((typmod - 4) >> 16) & 0xffff;
      d.scale = (typmod - 4) & 0xffff;
    } else if (t.name === 'varchar' || t.name === 'bpchar') {
      d.precision = typmod - 4;
    } else if (t.name === 'timestamp' || t.name === 'timestamptz' || t.name === 'time' || t.name === 'timetz') {
      d.scale = typmod;
    }
  }
  return d;
}
