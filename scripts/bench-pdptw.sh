#!/usr/bin/env bash
# The trip planner's ride matcher on the Li & Lim PDPTW benchmark (100-task instances), beside
# VROOM (pyvroom from PyPI, in a virtual environment of its own; never a dependency of Tusk)
# in the same run. Figures for docs/benchmarks.md.
#   DATA=../shared/data/pdptw/li_lim_100 scripts/bench-pdptw.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/pdptw/li_lim_100}
[ -d "$DATA" ] || { echo "no Li & Lim data in $DATA (set DATA=…)" >&2; exit 1; }
VENV=target/bench-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import vroom' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pyvroom
fi
cargo build -q --release -p cli
echo "## Tusk ($(git rev-parse --short HEAD))"
target/release/tusk bench pdptw "$DATA" "$@"
echo
echo "## VROOM"
"$VENV/bin/python" scripts/pdptw_vroom.py "$DATA"
