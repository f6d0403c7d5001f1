#!/usr/bin/env node
// Builds bin/asn.mmdb, the ASN database for `asn` policy conditions, from the npm package @ip-location-db/asn
// (address-range CSVs from RouteViews and DB-IP, CC BY 4.0 — attribution: routeviews.org and DB-IP.com) with the
// module's own tool (caddy-module/cmd/mkmmdb -csv). Skips the build when neither the package version nor the tool's
// source changed since the last successful build (kept in bin/.asn-db-build-hash), as scripts/build-caddy.mjs does.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const moduleDir = path.join(root, 'caddy-module');
const out = path.join(root, 'bin', 'asn.mmdb');
const hashFile = path.join(root, 'bin', '.asn-db-build-hash');

const require = createRequire(import.meta.url);
let pkgDir;
try {
  pkgDir = path.dirname(require.resolve('@ip-location-db/asn/package.json'));
} catch {
  console.error('asn db: the npm package @ip-location-db/asn is missing; run npm ci first');
  process.exit(1);
}
const { version } = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const csvs = ['asn-ipv4.csv', 'asn-ipv6.csv'].map((name) => path.join(pkgDir, name));

// the tool's sources: a change in how the database is written is a reason to rebuild too
const toolFiles = ['cmd/mkmmdb', 'policy/mmdbtest'].flatMap((dir) =>
  readdirSync(path.join(moduleDir, dir))
    .filter((name) => name.endsWith('.go') && !name.endsWith('_test.go'))
    .map((name) => path.join(moduleDir, dir, name)),
);
const hash = createHash('sha256').update(`@ip-location-db/asn@${version}\0`);
for (const file of [...toolFiles, path.join(moduleDir, 'go.sum')].sort()) {
  hash.update(path.relative(moduleDir, file)).update('\0').update(readFileSync(file)).update('\0');
}
const digest = hash.digest('hex');

const force = process.argv.includes('--force');
if (!force && existsSync(out) && existsSync(hashFile) && readFileSync(hashFile, 'utf8').trim() === digest) {
  console.log(`asn db: up to date (${path.relative(root, out)}, @ip-location-db/asn ${version})`);
  process.exit(0);
}

if (spawnSync('go', ['version']).status !== 0) {
  console.error('asn db: Go is needed to build the ASN database (https://go.dev/dl, 1.26 or newer)');
  process.exit(1);
}
// The package version is the data's date (2.3.YYYYMMDDHH): its build epoch, so that equal data gives equal bytes.
const stamp = /^\d+\.\d+\.(\d{4})(\d{2})(\d{2})(\d{2})$/.exec(version);
const epoch = stamp ? Date.UTC(+stamp[1], +stamp[2] - 1, +stamp[3], +stamp[4]) / 1000 : 0;
mkdirSync(path.dirname(out), { recursive: true });
console.log(`asn db: building ${path.relative(root, out)} from @ip-location-db/asn ${version}…`);
const started = Date.now();
const build = spawnSync(
  'go',
  [
    'run',
    './cmd/mkmmdb',
    ...csvs.flatMap((csv) => ['-csv', csv]),
    '-out',
    out,
    '-build-epoch',
    String(epoch),
    '-description',
    `@ip-location-db/asn ${version}: RouteViews (routeviews.org) and DB-IP (DB-IP.com) data, CC BY 4.0`,
  ],
  { cwd: moduleDir, stdio: 'inherit', env: { ...process.env, CGO_ENABLED: '0' } },
);
if (build.status !== 0) {
  console.error('asn db: build failed');
  process.exit(build.status ?? 1);
}
writeFileSync(hashFile, `${digest}\n`);
console.log(
  `asn db: built in ${((Date.now() - started) / 1000).toFixed(1)} s (${(statSync(out).size / 1e6).toFixed(1)} MB)`,
);
