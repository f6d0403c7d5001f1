/** The subset of JSON Schema (OpenAPI 3.1) that the generated document uses. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  description?: string;
  enum?: unknown[];
  default?: unknown;
  example?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  allOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

/** One line of a body's field table: `custom_headers[].direction`, its type, whether required, its rules. */
export interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  rules: string[];
  description: string;
}

type Components = Record<string, JsonSchema>;

const refName = (ref: string) => ref.replace('#/components/schemas/', '');

/**
 * The schema with `$ref`s to components replaced by their target and `allOf` / nullable `anyOf` merged into one
 * object, so a reader sees the fields themselves. `seen` breaks reference cycles.
 */
function resolve(schema: JsonSchema, components: Components, seen: ReadonlySet<string>): JsonSchema {
  if (schema.$ref) {
    const name = refName(schema.$ref);
    const target = components[name];
    if (!target || seen.has(name)) return { type: name };
    return resolve({ ...target, ...withoutRef(schema) }, components, new Set([...seen, name]));
  }
  const parts = schema.allOf ?? schema.anyOf ?? schema.oneOf;
  if (!parts) return schema;
  const resolved = parts.map((part) => resolve(part, components, seen));
  const merged: JsonSchema = { ...schema, allOf: undefined, anyOf: undefined, oneOf: undefined };
  const types = new Set<string>();
  for (const part of resolved) {
    for (const t of typeList(part)) types.add(t);
    if (part.properties) merged.properties = { ...merged.properties, ...part.properties };
    if (part.items) merged.items = part.items;
    // A field is required by an allOf when any part requires it, by a union only when every member does.
    if (schema.allOf) merged.required = [...(merged.required ?? []), ...(part.required ?? [])];
    for (const key of ['enum', 'format', 'pattern', 'description'] as const)
      if (part[key] !== undefined && merged[key] === undefined) (merged as Record<string, unknown>)[key] = part[key];
  }
  if (!schema.allOf) {
    const objects = resolved.filter((p) => p.properties);
    merged.required = objects.length
      ? (objects[0]!.required ?? []).filter((f) => objects.every((o) => o.required?.includes(f)))
      : undefined;
  }
  if (!schema.type && types.size) merged.type = [...types];
  return merged;
}

function withoutRef(schema: JsonSchema): JsonSchema {
  const { $ref: _ref, ...rest } = schema;
  return rest;
}

function typeList(schema: JsonSchema): string[] {
  if (schema.type === undefined) return schema.properties ? ['object'] : [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

function describeType(schema: JsonSchema): string {
  const types = typeList(schema).map((t) => (t === 'array' && schema.items ? `array of ${itemType(schema)}` : t));
  const type = types.join(' | ') || 'any';
  return schema.format ? `${type} (${schema.format})` : type;
}

function itemType(schema: JsonSchema): string {
  const items = schema.items!;
  return items.$ref ? refName(items.$ref) : typeList(items).join(' | ') || 'any';
}

function describeRules(schema: JsonSchema): string[] {
  const rules: string[] = [];
  if (schema.enum) rules.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (schema.minimum !== undefined) rules.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) rules.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) rules.push(`≤ ${schema.maximum}`);
  if (schema.minLength !== undefined) rules.push(`at least ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) rules.push(`at most ${schema.maxLength} characters`);
  if (schema.minItems !== undefined) rules.push(`at least ${schema.minItems} items`);
  if (schema.maxItems !== undefined) rules.push(`at most ${schema.maxItems} items`);
  if (schema.pattern !== undefined) rules.push(`pattern ${schema.pattern}`);
  if (schema.default !== undefined) rules.push(`default ${JSON.stringify(schema.default)}`);
  return rules;
}

/**
 * Every field of a body schema, nested objects and array items included, as rows in reading order. A body
 * that is itself an array lists its items under `[]`; a body that is a plain value yields one row with an
 * empty path.
 */
// 10 levels: a policy list reaches `data[].policy.rules[].conditions[].values[]`.
export function fieldRows(schema: JsonSchema, components: Components, depthLimit = 10): FieldRow[] {
  const rows: FieldRow[] = [];
  const visit = (raw: JsonSchema, path: string, required: boolean, seen: ReadonlySet<string>, depth: number) => {
    const nextSeen = raw.$ref ? new Set([...seen, refName(raw.$ref)]) : seen;
    const schema = resolve(raw, components, seen);
    if (path || (!schema.properties && !schema.items)) {
      rows.push({
        path,
        type: describeType(schema),
        required,
        rules: describeRules(schema),
        description: schema.description ?? '',
      });
    }
    if (depth >= depthLimit) return;
    for (const [name, child] of Object.entries(schema.properties ?? {}))
      visit(child, path ? `${path}.${name}` : name, schema.required?.includes(name) ?? false, nextSeen, depth + 1);
    if (schema.items) visit(schema.items, `${path}[]`, false, nextSeen, depth + 1);
  };
  visit(schema, '', true, new Set(), 0);
  return rows;
}
