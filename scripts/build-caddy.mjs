#!/usr/bin/env node
// Builds bin/caddy from caddy-module/ (Caddy + caddy-l4 + the gatehouse module). Skips the build when no
// Go source, go.mod or go.sum changed since the last successful build (hash kept in bin/.caddy-build-hash).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const moduleDir = path.join(root, 'caddy-module');
const out = path.join(root, 'bin', 'caddy');
const hashFile = path.join(root, 'bin', '.caddy-build-hash');

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testdata' ? [] : sourceFiles(full);
    return /\.go$|^go\.(mod|sum)$/.test(entry.name) && !entry.name.endsWith('_test.go') ? [full] : [];
  });
}

const hash = createHash('sha256');
for (const file of sourceFiles(moduleDir).sort()) {
  hash.update(path.relative(moduleDir, file)).update('\0').update(readFileSync(file)).update('\0');
}
const digest = hash.digest('hex');

const force = process.argv.includes('--force');
if (!force && existsSync(out) && existsSync(hashFile) && readFileSync(hashFile, 'utf8').trim() === digest) {
  console.log(`caddy: up to date (${path.relative(root, out)})`);
  process.exit(0);
}

const go = spawnSync('go', ['version'], { encoding: 'utf8' });
if (go.status !== 0) {
  console.error('caddy: Go is needed to build Caddy with the gatehouse module (https://go.dev/dl, 1.26 or newer)');
  process.exit(1);
}
mkdirSync(path.dirname(out), { recursive: true });
console.log(
  `caddy: building ${path.relative(root, out)} with ${go.stdout.trim()} (the first build downloads modules and takes a few minutes)…`,
);
const started = Date.now();
const build = spawnSync('go', ['build', '-trimpath', '-o', out, './cmd/caddy'], {
  cwd: moduleDir,
  stdio: 'inherit',
  env: { ...process.env, CGO_ENABLED: '0' },
});
if (build.status !== 0) {
  console.error('caddy: build failed');
  process.exit(build.status ?? 1);
}
writeFileSync(hashFile, `${digest}\n`);
console.log(
  `caddy: built in ${((Date.now() - started) / 1000).toFixed(1)} s (${(statSync(out).size / 1e6).toFixed(1)} MB)`,
);
