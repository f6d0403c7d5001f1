#!/usr/bin/env bash
# The first README command: install/build what is missing, then run `gatehouse server` on its embedded
# defaults (libSQL file in ./.data, a supervised Caddy, WireGuard when the machine allows it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec bin/gatehouse server "$@"
