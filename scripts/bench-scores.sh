#!/usr/bin/env bash
# Scores benchmark (docs/benchmarks.md): Tusk's logistic regression and gradient-boosted trees
# side by side with scikit-learn and LightGBM (PyPI, target/bench-venv, benchmark only) on the
# same features and the same held-out split; then scoring throughput in the engine, and the
# whole `tusk score apply` (read the store, score, write the scores).
#
#   scripts/bench-scores.sh                    # 1,500,000 voters: about 1 M labelled for turnout
#   VOTERS=200000 scripts/bench-scores.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VOTERS=${VOTERS:-1500000}
SCORE_PEOPLE=${SCORE_PEOPLE:-7500000}
VENV=target/bench-venv
WORK=$(mktemp -d /tmp/tusk-scores.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
log() { printf '[bench] %s\n' "$*" >&2; }

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import sklearn, lightgbm, numpy' 2>/dev/null || { log "installing scikit-learn + lightgbm into $VENV"; "$VENV/bin/pip" -q install scikit-learn lightgbm numpy; }
cargo build --release -p cli >&2
T=target/release/tusk
DB="$WORK/tusk.db"
log "synthetic campaign: $VOTERS voters"
$T synth --state NC --voters "$VOTERS" --seed 1 --out "$WORK/c" >&2
for k in "ncvoter ncvoter_Statewide.txt" "ncvhis ncvhis_Statewide.txt" "nc-absentee absentee_20261028.csv" "canvass canvass.csv"; do
  set -- $k
  $T --database "$DB" import "$1" "$WORK/c/$2" >&2
done

echo "Command: scripts/bench-scores.sh (VOTERS=$VOTERS; $(date -u +%Y-%m-%d), git $(git rev-parse --short HEAD)); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
for target in turnout support; do
  people=$SCORE_PEOPLE; [ "$target" = support ] && people=0
  /usr/bin/time -f "%e %M" -o "$WORK/t" $T --database "$DB" bench scores --target "$target" --export "$WORK/$target" --score-people "$people" >"$WORK/$target.out" 2>"$WORK/$target.err"
  read -r secs kib <"$WORK/t"
  echo "### $target"
  echo
  echo '```'
  grep -v '^{' "$WORK/$target.out"
  echo "(whole run ${secs} s wall, peak RSS $((kib / 1024)) MiB)"
  echo '```'
  echo
  echo "| $target, same features and split | held-out AUC | log loss | training seconds |"
  echo "|---|---|---|---|"
  python3 - "$WORK/$target.out" <<'PY'
import json, sys
d = json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][-1])
for r in d["results"]:
    print(f"| tusk {r['algorithm']} | {r['auc']:.4f} | {r['log_loss']:.4f} | {r['train_seconds']:.2f} |")
PY
  "$VENV/bin/python" scripts/bench/scores_peers.py "$WORK/$target"
  echo
done

log "tusk model train + score apply (whole path, store to store)"
$T --database "$DB" model train turnout >"$WORK/train.out" 2>/dev/null
id=$(sed -n 's/^model \([0-9]*\).*/\1/p' "$WORK/train.out" | head -1)
/usr/bin/time -f "%e %M" -o "$WORK/a" $T --database "$DB" score apply "$id" >"$WORK/apply.out" 2>/dev/null
read -r asecs akib <"$WORK/a"
echo "\`tusk score apply $id\` (read $(cat "$WORK/apply.out" | sed -n 's/.*scored \([0-9]*\) people.*/\1/p') people from SQLite, score, write the scores): ${asecs} s wall, peak RSS $((akib / 1024)) MiB"
