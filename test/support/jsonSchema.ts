// A small JSON Schema (2020-12 subset) checker for the OpenAPI tests: type (one or
// several), const, enum, properties, required, additionalProperties, items, oneOf,
// minimum, pattern and local $refs. Returns the paths that break the schema.
type Schema = Record<string, unknown>;

export function schemaErrors(value: unknown, schema: Schema, root: Schema, path = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const target = (schema.$ref as string).replace(/^#\//, '').split('/').reduce<unknown>((o, k) => (o as Schema)?.[k], root);
    if (!target) return [`${path}: unresolved ${schema.$ref as string}`];
    return schemaErrors(value, target as Schema, root, path);
  }
  const errors: string[] = [];
  if (schema.oneOf) {
    const matching = (schema.oneOf as Schema[]).filter((s) => schemaErrors(value, s, root, path).length === 0);
    if (matching.length !== 1) errors.push(`${path}: matches ${matching.length} of oneOf`);
    return errors;
  }
  if ('const' in schema && value !== schema.const) errors.push(`${path}: not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if (schema.type) {
    const types = Array.isArray(schema.type) ? schema.type as string[] : [schema.type as string];
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
    const ok = types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
    if (!ok) return [`${path}: ${actual}, expected ${types.join('|')}`];
  }
  if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
  if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: does not match ${schema.pattern}`);
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...schemaErrors(v, schema.items as Schema, root, `${path}[${i}]`)));
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errors.push(`${path}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errors.push(...schemaErrors(v, props[k], root, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${k}: not in the schema`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        errors.push(...schemaErrors(v, schema.additionalProperties as Schema, root, `${path}.${k}`));
      }
    }
  }
  return errors;
}
