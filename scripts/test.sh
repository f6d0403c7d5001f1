#!/usr/bin/env bash
# The second README command: install/build what is missing, then run every suite (Go and TypeScript).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
exec node scripts/test-all.mjs "$@"
