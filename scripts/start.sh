#!/usr/bin/env bash
# The first README command: install/build what is missing, then run `gatehouse server` on its embedded
# defaults (a supervised Caddy, WireGuard when the machine allows it), with the data in ./.data of the
# checkout (explicitly: unset, GATEHOUSE_DATA_DIR is an absolute per-user or system path; docs/deploy.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export GATEHOUSE_DATA_DIR="${GATEHOUSE_DATA_DIR:-$PWD/.data}"
exec bin/gatehouse server "$@"
