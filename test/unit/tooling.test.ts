// Real: package.json, vitest.config.ts, scripts/test-all.mjs, go.mod, the README, the install scripts, docs/ and
// the comments in the sources as they are on disk. Simulated: nothing; no script is run here, only what each
// one names is checked.
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import vitestConfig from '../../vitest.config.ts';
import { ROOT } from '../helpers/caddy.ts';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const scripts: Record<string, string> = JSON.parse(read('package.json')).scripts;
const testAll = read('scripts/test-all.mjs');

/**
 * How CI (`.ci/run` → scripts/test.sh → scripts/test-all.mjs) runs each package.json script. A new script
 * must say here how it is exercised, or this test fails.
 */
const ranInCi: Record<string, { by: 'test-all' } | { by: 'equivalent'; because: string }> = {
  'build:caddy': { by: 'test-all' },
  'build:asn-db': {
    by: 'equivalent',
    because: 'scripts/install.sh runs scripts/build-asn-db.mjs, and test.sh runs install.sh',
  },
  typecheck: { by: 'test-all' },
  lint: { by: 'test-all' },
  'db:generate': { by: 'test-all' },
  'lint:deps': { by: 'test-all' },
  test: { by: 'equivalent', because: 'it is scripts/test-all.mjs, which .ci/run runs through scripts/test.sh' },
  'test:go': { by: 'equivalent', because: 'the Go half of scripts/test-all.mjs, which CI runs whole' },
  'test:unit': { by: 'equivalent', because: 'a vitest project; test-all runs every project' },
  'test:integration': { by: 'equivalent', because: 'a vitest project; test-all runs every project' },
  'test:e2e': { by: 'equivalent', because: 'a vitest project; test-all runs every project' },
  'test:browser': { by: 'equivalent', because: 'a vitest project; test-all runs every project' },
  'test:security': { by: 'equivalent', because: 'a vitest project; test-all runs every project' },
  'test:faults': { by: 'equivalent', because: 'a vitest project; test-all runs every project' },
  start: { by: 'equivalent', because: 'test/integration/server-process.test.ts spawns `bin/gatehouse server`' },
  gatehouse: { by: 'equivalent', because: 'test/integration/server-process.test.ts spawns `bin/gatehouse`' },
  format: { by: 'equivalent', because: 'lint (biome check) fails on any file `biome format --write` would change' },
};

/** The file or installed binary a script's command starts with, and the arguments after it. */
function entryPoint(command: string): { file: string; args: string[] } {
  const [first = '', ...rest] = command.split(/\s+/);
  if (['node', 'bash', 'sh', 'tsx'].includes(first)) {
    const i = rest.findIndex((a) => !a.startsWith('-'));
    return { file: rest[i] ?? '', args: rest.slice(i + 1) };
  }
  if (first.includes('/')) return { file: first, args: rest };
  return { file: path.join('node_modules', '.bin', first), args: rest };
}

describe('package.json scripts', () => {
  it.each(Object.entries(scripts))('%s points at a file that exists', (_name, command) => {
    const { file } = entryPoint(command);
    expect(file, command).not.toBe('');
    expect(existsSync(path.join(ROOT, file)), `${command}: no ${file}`).toBe(true);
    if (!/\.(mjs|ts|sh)$/.test(file)) accessSync(path.join(ROOT, file), constants.X_OK);
  });

  it('name vitest projects that exist', () => {
    const projects = (vitestConfig.test?.projects ?? []).map((p) => (p as { test: { name: string } }).test.name);
    const named = Object.values(scripts).flatMap((c) => [...c.matchAll(/--project (\S+)/g)].map((m) => m[1]));
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(projects).toContain(name);
  });

  it('each run in CI, directly or through a named equivalent', () => {
    expect(Object.keys(ranInCi).sort()).toEqual(Object.keys(scripts).sort());
    for (const [name, how] of Object.entries(ranInCi)) {
      if (how.by === 'test-all') expect(testAll, `test-all.mjs runs npm run ${name}`).toContain(`['run', '${name}']`);
    }
    expect(scripts['test:go']).toMatch(/scripts\/test-all\.mjs --only go$/);
    expect(testAll).toContain("values.only !== 'ts'");
  });
});

describe('the Go version', () => {
  it('is the one in go.mod wherever the repository names it', () => {
    const goMod = /^go (\d+\.\d+)/m.exec(read('caddy-module/go.mod'));
    expect(goMod).not.toBeNull();
    const version = goMod![1]!;
    const mentions: Record<string, RegExp> = {
      'README.md': /Go (\d+\.\d+)/g,
      'scripts/install.sh': /Go (\d+\.\d+)/g,
      'scripts/build-caddy.mjs': /(\d+\.\d+) or newer/g,
      Dockerfile: /golang:(\d+\.\d+)/g,
    };
    for (const [file, pattern] of Object.entries(mentions)) {
      const found = [...read(file).matchAll(pattern)].map((m) => m[1]);
      expect(found.length, `${file} names a Go version`).toBeGreaterThan(0);
      for (const v of found) expect(v, file).toBe(version);
    }
  });
});

describe('comments that cite the design', () => {
  const sources = ['src', 'packages', 'caddy-module', 'test', 'bench', 'scripts'].flatMap((dir) =>
    readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(ts|tsx|mjs|go|sh)$/.test(f))
      .map((f) => path.join(dir, f)),
  );
  const anchors = new Set(
    [...read('docs/architecture.md').matchAll(/^#{2,3} (.+)$/gm)].map((m) =>
      m[1]!
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    ),
  );

  it('point at sections of docs/architecture.md that exist, never at a document outside the repository', () => {
    expect(sources.length).toBeGreaterThan(100);
    for (const file of sources) {
      const text = read(file);
      expect(text, file).not.toMatch(/DESIGN(\.md| §)/);
      for (const m of text.matchAll(/docs\/architecture\.md#([a-z0-9-]+)/g)) expect(anchors, file).toContain(m[1]);
    }
  });
});
