#!/usr/bin/env node
// Builds bin/wireguard-go: golang.zx2c4.com/wireguard at the version pinned in wireguard-go/go.mod (fetched
// from the Go module proxy, checked against wireguard-go/go.sum). Skips the build when go.mod and go.sum are
// unchanged since the last successful build (hash kept in bin/.wireguard-go-build-hash), like build-caddy.mjs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const moduleDir = path.join(root, 'wireguard-go');
const out = path.join(root, 'bin', 'wireguard-go');
const hashFile = path.join(root, 'bin', '.wireguard-go-build-hash');
const mainPackage = 'golang.zx2c4.com/wireguard';

const hash = createHash('sha256');
for (const name of ['go.mod', 'go.sum'])
  hash
    .update(name)
    .update('\0')
    .update(readFileSync(path.join(moduleDir, name)));
const digest = hash.digest('hex');

const force = process.argv.includes('--force');
if (!force && existsSync(out) && existsSync(hashFile) && readFileSync(hashFile, 'utf8').trim() === digest) {
  console.log(`wireguard-go: up to date (${path.relative(root, out)})`);
  process.exit(0);
}

const go = spawnSync('go', ['version'], { encoding: 'utf8' });
if (go.status !== 0) {
  console.error('wireguard-go: Go is needed to build wireguard-go (https://go.dev/dl, 1.26 or newer)');
  process.exit(1);
}
mkdirSync(path.dirname(out), { recursive: true });
console.log(`wireguard-go: building ${path.relative(root, out)} with ${go.stdout.trim()}…`);
const started = Date.now();
// Build to a temporary name and rename: a running daemon keeps its old binary, and a failed build leaves none.
const tmp = `${out}.tmp-${process.pid}`;
const build = spawnSync('go', ['build', '-trimpath', '-o', tmp, mainPackage], {
  cwd: moduleDir,
  stdio: 'inherit',
  env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' },
});
if (build.status !== 0) {
  console.error('wireguard-go: build failed');
  process.exit(build.status ?? 1);
}
spawnSync('mv', ['-f', tmp, out], { stdio: 'inherit' });
writeFileSync(hashFile, `${digest}\n`);
const version = spawnSync(out, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
console.log(
  `wireguard-go: built ${version} in ${((Date.now() - started) / 1000).toFixed(1)} s (${(statSync(out).size / 1e6).toFixed(1)} MB)`,
);
