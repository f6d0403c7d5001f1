#!/usr/bin/env bash
# Installs what Gatehouse needs on a Debian machine, idempotently: only what is missing is installed.
#   scripts/install.sh            runtime needs (npm packages, Caddy build, WireGuard tools when root)
#   scripts/install.sh --test     also what the test suites use (namespaces, sshd, socat, Chromium, …)
#   scripts/install.sh --agent    only the LAN agent (`gatehouse-agent`), with Node alone: no Go, Caddy or server
#                                 packages; installs with `npm install -g` (npm_config_prefix=DIR to choose where)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=false
[ "${1:-}" = "--test" ] && want_test=true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- the LAN agent alone ---------------------------------------------------------------------------
if [ "${1:-}" = "--agent" ]; then
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' || {
    echo "Node 20.19+ is needed for the agent: https://nodejs.org" >&2
    exit 1
  }
  # Build the two packages in a scratch workspace that holds only them, so the build installs their own
  # dependencies plus TypeScript (the versions the repository pins), never the server's.
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/packages" "$work/out"
  cp -r packages/protocol packages/agent "$work/packages/"
  rm -rf "$work"/packages/*/dist "$work"/packages/*/node_modules
  cp tsconfig.json "$work/"
  node -e '
    const root = require("./package.json");
    const pick = (n) => root.devDependencies[n];
    require("fs").writeFileSync(process.argv[1], JSON.stringify({ private: true, workspaces: ["packages/*"],
      devDependencies: { typescript: pick("typescript"), "@types/node": pick("@types/node") } }));
  ' "$work/package.json"
  say "building @gatehouse/protocol and @gatehouse/agent"
  (cd "$work" && npm install --no-audit --no-fund --loglevel=error \
    && npm pack -w @gatehouse/protocol -w @gatehouse/agent --pack-destination out --silent >/dev/null)
  say "installing gatehouse-agent (npm install -g)"
  npm install -g --no-audit --no-fund --loglevel=error "$work"/out/gatehouse-protocol-*.tgz "$work"/out/gatehouse-agent-*.tgz
  say "done: gatehouse-agent --server https://gate.example.com --token gtw_…"
  exit 0
fi

# --- Debian packages -------------------------------------------------------------------------------
packages=()
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  packages+=(wireguard-tools wireguard-go iproute2 nftables ca-certificates)
  if $want_test; then
    # systemd: `systemd-analyze verify` checks the units in deploy/systemd/.
    # prometheus: its promtool checks the /metrics output (test/integration/metrics-live.test.ts).
    packages+=(socat openssh-server openssh-client iperf3 chromium procps psmisc curl openssl systemd prometheus)
    # The scale suite (docs/scaling.md): Redis for shared certificates, keepalived for a pair of edges.
    packages+=(redis-server keepalived)
  fi
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
elif [ "$(id -u)" != 0 ]; then
  say "not root: skipping Debian packages (WireGuard will be reported unavailable unless wg and wireguard-go are installed)"
fi

# --- npm packages ----------------------------------------------------------------------------------
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.gatehouse-lock-hash ] || [ "$(cat node_modules/.gatehouse-lock-hash)" != "$lock_hash" ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.gatehouse-lock-hash
fi

# --- Caddy with caddy-l4 and the gatehouse module ------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  echo "Go 1.26 or newer is needed to build Caddy with the gatehouse module: https://go.dev/dl" >&2
  exit 1
fi
node scripts/build-caddy.mjs
node scripts/build-asn-db.mjs

# --- sqld, the libSQL server (the scale suite; docs/scaling.md) ------------------------------------
# In no registry: built from source at a pinned commit and cached outside the repository by that commit
# (~20 min on 2 cores the first time). Where it cannot be built, the scale suite skips and says why.
if $want_test && [ "${GATEHOUSE_SKIP_SQLD_BUILD:-}" != 1 ]; then
  if ! command -v cargo >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    # Debian 12's own rustc (1.63) is too old for libSQL; rustc-web/cargo-web (1.96 in bookworm) build it.
    say "installing Rust from Debian (rustc-web, cargo-web) for the sqld build"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rustc-web cargo-web >/dev/null \
      || say "Rust could not be installed: the scale suite will skip"
  fi
  if scripts/build-sqld.sh --path >/dev/null 2>&1; then
    :
  elif command -v cargo >/dev/null 2>&1; then
    say "building sqld (cached by commit; nice -n 19)"
    nice -n 19 scripts/build-sqld.sh >/dev/null || say "sqld could not be built: the scale suite will skip"
  fi
fi
