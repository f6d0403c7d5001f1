import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFileJsonSchema } from '../../src/schemas/config-file.ts';

const PUBLISHED = fileURLToPath(new URL('../../docs/config-file.schema.json', import.meta.url));

describe('the configuration file JSON Schema', () => {
  // The file is formatted by biome (npx biome format --write after rewriting); the content must be equal.
  it('docs/config-file.schema.json is the one generated from the zod schemas (UPDATE_CONFIG_SCHEMA=1 rewrites it)', () => {
    const generated = configFileJsonSchema();
    if (process.env.UPDATE_CONFIG_SCHEMA === '1') writeFileSync(PUBLISHED, `${JSON.stringify(generated, null, 2)}\n`);
    expect(JSON.parse(readFileSync(PUBLISHED, 'utf8'))).toStrictEqual(JSON.parse(JSON.stringify(generated)));
  });
});
