// Real: the depcruise CLI with the repository's .dependency-cruiser.cjs (what `npm run lint:deps` runs in CI).
// Simulated: the source tree, a small fixture in a temporary directory, so each rule can be seen to fail.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** path → source; each file imports the next layer's file so none is an orphan. */
const FIXTURE: Record<string, string> = {
  'src/logger.ts': 'export const log = 1;\n',
  'src/db/index.ts': "import { log } from '../logger.ts';\nexport const db = log;\n",
  // Upward: db → an HTTP app, as a type-only import (types couple layers just as much).
  'src/db/upward.ts': "import type { Page } from '../api/page.ts';\nexport type Row = Page;\n",
  'src/services/verb.ts': "import { db } from '../db/index.ts';\nexport const verb = db;\n",
  // Downward: an app → a service → the database; allowed.
  'src/api/page.ts':
    "import { verb } from '../services/verb.ts';\nexport type Page = { n: number };\nexport const page = verb;\n",
  // Sideways: one HTTP app into another.
  'src/dashboard/view.ts': "import { page } from '../api/page.ts';\nexport const view = page;\n",
  // A folder that belongs to no layer.
  'src/misc/thing.ts': "import { log } from '../logger.ts';\nexport const thing = log;\n",
  'src/app.ts':
    "import { view } from './dashboard/view.ts';\nimport { thing } from './misc/thing.ts';\nimport type { Row } from './db/upward.ts';\nexport const app: Row | number = view + thing;\n",
  'src/cli.ts': "import { app } from './app.ts';\nexport const main = app;\n",
  'tsconfig.json': JSON.stringify({
    compilerOptions: { module: 'nodenext', allowImportingTsExtensions: true, noEmit: true, strict: true },
  }),
};

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

let dir: string;
let violations: Violation[];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-layers-'));
  for (const [file, text] of Object.entries(FIXTURE)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  // The same command as `npm run lint:deps`, with its default reporter: one `error <rule>: <from> → <to>` a line.
  const bin = path.join(root, 'node_modules/.bin/depcruise');
  const res = spawnSync(bin, ['src', '--config', path.join(root, '.dependency-cruiser.cjs')], {
    cwd: dir,
    encoding: 'utf8',
  });
  expect(res.status, res.stderr).not.toBe(0); // what makes the CI check fail
  violations = [...res.stdout.matchAll(/^\s*error (\S+): (\S+) → (\S+)$/gm)].map(([, rule, from, to]) => ({
    rule: { name: rule! },
    from: from!,
    to: to!,
  }));
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the layer rule (.dependency-cruiser.cjs)', () => {
  it('refuses an upward import, type-only included', () => {
    expect(violations).toContainEqual(
      expect.objectContaining({
        from: 'src/db/upward.ts',
        to: 'src/api/page.ts',
        rule: expect.objectContaining({ name: 'layer-db' }),
      }),
    );
  });

  it('refuses one HTTP app importing another', () => {
    expect(violations).toContainEqual(
      expect.objectContaining({
        from: 'src/dashboard/view.ts',
        to: 'src/api/page.ts',
        rule: expect.objectContaining({ name: 'app-dashboard-sibling' }),
      }),
    );
  });

  it('refuses a module outside every layer', () => {
    const rules = violations.filter((v) => v.from === 'src/misc/thing.ts' || v.to === 'src/misc/thing.ts');
    expect(rules.map((v) => v.rule.name).sort()).toEqual(['layer-unknown', 'layer-unknown-target']);
  });

  it('accepts downward imports: nothing else is reported', () => {
    expect(violations).toHaveLength(4);
  });
});
