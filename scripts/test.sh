#!/usr/bin/env bash
# Runs every test of the workspace against both store backends.
#
# Sets up what the tests need on a fresh Debian machine: installs PostgreSQL when it is
# missing (as root, from Debian's packages), starts a throwaway cluster as the `postgres` user
# in a temporary directory on a free loopback port (scripts/pg.sh), points the tests at it,
# and removes it at the end. The system's own clusters are never touched. Installs Chromium and
# chromedriver for the browser tests (scripts/browser.sh); screenshots land in
# target/browser-artifacts/.
#
#   scripts/test.sh                       # the whole suite
#   scripts/test.sh -E 'test(import)'     # extra arguments go to cargo nextest
set -euo pipefail
cd "$(dirname "$0")/.."

# Tests do not need durability from the throwaway server; crash tests kill tusk, not it.
PG_OPTS="-c fsync=off -c max_connections=200"
. scripts/pg.sh
. scripts/browser.sh

export TUSK_TEST_POSTGRES_URL="$PG_URL"
export TUSK_REQUIRE_POSTGRES=1

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi

# The served OpenAPI document against the real server (schemathesis from PyPI).
if [ $# -eq 0 ]; then
  TUSK_BIN="$PWD/target/debug/tusk" scripts/api-fuzz.sh
fi
