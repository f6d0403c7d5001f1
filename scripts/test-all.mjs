#!/usr/bin/env node
// Runs every suite — static checks, Go (vet, race tests, a short fuzz run per target) and TypeScript
// (unit, integration, faults, e2e, browser) — and ends with one line `total: N passed, N failed`.
//   node scripts/test-all.mjs [--only go|ts] [--fuzztime 10s]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const goDir = path.join(root, 'caddy-module');
const { values } = parseArgs({ options: { only: { type: 'string' }, fuzztime: { type: 'string', default: '10s' } } });
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function banner(text) {
  console.log(`\n\x1b[1m━━ ${text}\x1b[0m`);
}

function check(name, cmd, args, { after, ...opts } = {}) {
  banner(name);
  const started = Date.now();
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  const ok = res.status === 0 && (after ? after() : true);
  console.log(`${ok ? 'ok' : 'FAILED'}: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (ok) totals.passed++;
  else {
    totals.failed++;
    failures.push(name);
  }
  return ok;
}

/** go test -json: counts top-level and sub-tests; prints the output of failed ones. */
function goTests() {
  banner('go test -race ./...');
  return new Promise((resolve) => {
    const child = spawn('go', ['test', '-race', '-json', '-timeout', '20m', './...'], {
      cwd: goDir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const outputs = new Map();
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
        let ev;
        try {
          ev = JSON.parse(line);
        } catch {
          console.log(line);
          continue;
        }
        const key = `${ev.Package} ${ev.Test ?? ''}`;
        if (ev.Action === 'output') {
          outputs.set(key, (outputs.get(key) ?? '') + ev.Output);
          if (!ev.Test && /^(ok|FAIL|---|\?)/.test(ev.Output)) process.stdout.write(ev.Output);
        }
        if (!ev.Test) {
          if (ev.Action === 'fail' && !outputs.has(`${ev.Package} __counted`)) {
            // A package that fails to build has no test events of its own; count it once.
            const out = outputs.get(key) ?? '';
            if (/build failed|setup failed|panic/.test(out)) {
              totals.failed++;
              failures.push(`go ${ev.Package} (build or setup)`);
              process.stdout.write(out);
            }
          }
          continue;
        }
        if (ev.Action === 'pass') totals.passed++;
        else if (ev.Action === 'skip') totals.skipped++;
        else if (ev.Action === 'fail') {
          totals.failed++;
          failures.push(`go ${ev.Package} ${ev.Test}`);
          process.stdout.write(outputs.get(key) ?? '');
        }
      }
    });
    child.on('exit', resolve);
  });
}

function goFuzz() {
  const list = spawnSync('go', ['test', '-list', '^Fuzz', './...'], { cwd: goDir, encoding: 'utf8' });
  let pkg;
  const targets = [];
  for (const line of list.stdout.split('\n')) {
    if (line.startsWith('Fuzz')) targets.push({ name: line.trim() });
    const m = /^ok\s+(\S+)/.exec(line);
    if (m) {
      pkg = m[1];
      for (const t of targets) t.pkg ??= pkg;
    }
  }
  for (const t of targets) {
    check(
      `go fuzz ${t.name} (${values.fuzztime})`,
      'go',
      ['test', '-run', '^$', '-fuzz', `^${t.name}$`, '-fuzztime', values.fuzztime, t.pkg],
      { cwd: goDir },
    );
  }
}

/** `npm run db:generate` must find nothing to write; what it wrote anyway is reported and taken back. */
function migrationsMatchSchema() {
  const dir = path.join(root, 'migrations');
  const journal = path.join(dir, 'meta', '_journal.json');
  const before = new Set(readdirSync(dir, { recursive: true }));
  const journalBefore = readFileSync(journal);
  check('migrations match src/db/schema (npm run db:generate)', 'npm', ['run', 'db:generate'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    after: () => {
      const added = readdirSync(dir, { recursive: true }).filter((f) => !before.has(f));
      for (const f of added) rmSync(path.join(dir, f), { recursive: true, force: true });
      writeFileSync(journal, journalBefore);
      if (added.length) console.log(`the schema changed without a migration (db:generate wrote ${added.join(', ')})`);
      return added.length === 0;
    },
  });
}

function vitest() {
  banner('vitest (unit, integration, security, e2e, browser, faults)');
  mkdirSync(path.join(root, '.tmp'), { recursive: true });
  const report = path.join(root, '.tmp', 'vitest.json');
  const res = spawnSync(
    'npx',
    ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
    { cwd: root, stdio: 'inherit' },
  );
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += json.numPassedTests;
    totals.failed += json.numFailedTests;
    totals.skipped += json.numPendingTests + json.numTodoTests;
    for (const file of json.testResults) {
      for (const t of file.assertionResults)
        if (t.status === 'failed') failures.push(`ts ${path.relative(root, file.name)} > ${t.fullName}`);
      // A file that fails to load has no assertion results; count it.
      if (file.status === 'failed' && file.assertionResults.length === 0) {
        totals.failed++;
        failures.push(`ts ${path.relative(root, file.name)} (failed to load: ${file.message})`);
      }
    }
  } catch (err) {
    totals.failed++;
    failures.push(`vitest produced no report (exit ${res.status}): ${err.message}`);
  }
}

const started = Date.now();
if (values.only !== 'ts') {
  check('build Caddy (caddy-module → bin/caddy)', 'npm', ['run', 'build:caddy']);
  check('build wireguard-go (wireguard-go/go.mod → bin/wireguard-go)', 'npm', ['run', 'build:wireguard-go']);
  check('wireguard-go: go mod tidy -diff', 'go', ['mod', 'tidy', '-diff'], { cwd: path.join(root, 'wireguard-go') });
  check('go vet ./...', 'go', ['vet', './...'], { cwd: goDir });
  // gofmt exits 0 even when it lists files; an empty list is the pass
  check('gofmt -l . (lists nothing)', 'sh', ['-c', 'out=$(gofmt -l .) && test -z "$out" || { echo "$out"; exit 1; }'], {
    cwd: goDir,
  });
  check('staticcheck ./...', 'go', ['run', 'honnef.co/go/tools/cmd/staticcheck@v0.8.2', './...'], { cwd: goDir });
  check('go mod tidy -diff (go.mod and go.sum are tidy)', 'go', ['mod', 'tidy', '-diff'], { cwd: goDir });
  await goTests();
  goFuzz();
}
if (values.only !== 'go') {
  check('typecheck (tsc --noEmit)', 'npm', ['run', 'typecheck']);
  check('lint (biome check)', 'npm', ['run', 'lint']);
  migrationsMatchSchema();
  check('layers (depcruise, docs/architecture.md#layers)', 'npm', ['run', 'lint:deps']);
  vitest();
}

banner(`done in ${((Date.now() - started) / 60000).toFixed(1)} min`);
if (failures.length) console.log(`failed:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
console.log(`skipped: ${totals.skipped} (each skip prints its reason above)`);
console.log(`total: ${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed === 0 ? 0 : 1);
