import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFileJsonSchema } from '../../src/schemas/config-file.ts';

const PUBLISHED = fileURLToPath(new URL('../../docs/config-file.schema.json', import.meta.url));

describe('the configuration file JSON Schema', () => {
  it('docs/config-file.schema.json is the one generated from the zod schemas (UPDATE_CONFIG_SCHEMA=1 rewrites it)', () => {
    const generated = `${JSON.stringify(configFileJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_CONFIG_SCHEMA === '1') writeFileSync(PUBLISHED, generated);
    expect(readFileSync(PUBLISHED, 'utf8')).toBe(generated);
  });
});
