#!/usr/bin/env bash
# Runs schemathesis (from PyPI, in target/test-venv) against the OpenAPI document a real
# `tusk serve` publishes, on a small synthetic campaign, with an integration key that has
# every scope. Called by scripts/test.sh; can be run alone after `cargo build -p cli`.
#
#   scripts/api-fuzz.sh [extra st run arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[api-fuzz] %s\n' "$*" >&2; }
VENV=target/test-venv
SCHEMATHESIS_VERSION=4.32.5
if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || { log "python3-venv is missing: run 'sudo apt-get install -y python3-venv'"; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
# scripts/test.sh passes the binary its test build made (TUSK_BIN): building `-p cli` alone
# would unify features differently and compile half the dependencies again.
if [ -n "${TUSK_BIN:-}" ]; then
  TUSK="$TUSK_BIN"
else
  cargo build -q -p cli
  TUSK="$PWD/target/debug/tusk"
fi
WORK=$(mktemp -d /tmp/tusk-api-fuzz.XXXXXX)
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
export TUSK_DATABASE="$WORK/tusk.db"
"$TUSK" synth --voters 2000 --seed 3 --out "$WORK/files" >/dev/null
"$TUSK" import ncvoter "$WORK/files/ncvoter_Statewide.txt" >/dev/null
"$TUSK" import fec "$WORK/files/itcont.txt" >/dev/null
"$TUSK" import ncvhis "$WORK/files/ncvhis_Statewide.txt" >/dev/null
"$TUSK" trips import "$WORK/files" >/dev/null
"$TUSK" trips plan >/dev/null
KEY=$("$TUSK" key add fuzz --scopes people:read,people:write,donations:read,donations:write,changes:read | tail -n 1 | tr -d ' ')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$TUSK" serve --listen "127.0.0.1:$PORT" --insecure-cookies >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/api/v1/openapi.json" >/dev/null 2>&1 && break
  sleep 0.1
done
# Wait for the matching index of create-or-match (503 until it is built).
for _ in $(seq 1 300); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/api/v1/people/person_signup_helper" \
    -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
    -d '{"person":{"given_name":"Warm","family_name":"Up","email_addresses":[{"address":"warm.up@example.org"}]}}')
  [ "$code" != 503 ] && break
  sleep 0.2
done
# An admin session for the admin-only operations (keys never get them): sign in with the
# password and a TOTP code computed from the secret `tusk user add` printed.
ADMIN=$(TUSK_PASSWORD="fuzzing admin passphrase" "$TUSK" user add fuzzadmin --role admin --expires never --json)
SECRET=$(printf '%s' "$ADMIN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totp_secret"])')
CODE=$(python3 - "$SECRET" <<'PY'
import base64, hashlib, hmac, struct, sys, time
k = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
h = hmac.new(k, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = h[19] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
)
SESSION=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/login" -H 'content-type: application/json' \
  -d "{\"username\":\"fuzzadmin\",\"password\":\"fuzzing admin passphrase\",\"totp\":\"$CODE\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

st() {
  "$VENV/bin/st" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
    --url "http://127.0.0.1:$PORT" \
    --checks all \
    --max-examples "${API_FUZZ_EXAMPLES:-40}" \
    --seed 1 \
    --workers 1 \
    "$@"
}
log "schemathesis against http://127.0.0.1:$PORT/api/v1/openapi.json: integration key"
st -H "Authorization: Bearer $KEY" --exclude-path /api/v1/audit --exclude-path /api/v1/users --exclude-path /api/v1/logout --exclude-path /api/v1/health/data --exclude-path /api/v1/overview --exclude-path /api/v1/loads --exclude-path /api/v1/goals --exclude-path /api/v1/resolve \
  --exclude-path /api/v1/review --exclude-path /api/v1/review/decisions \
  --exclude-path /api/v1/people --exclude-path /api/v1/people/person_signup_helper \
  --exclude-path /api/v1/donations/record_donation_helper \
  --exclude-path-regex '^/api/v1/((tags|lists)/\{id\}/(taggings|items)|models.*|universes.*|allocations.*|turfs.*|turnout.*|sharing.*|trips.*|teams.*|people/\{id\}/record_canvass)$' "$@"
# People search, sign-ups, gifts and adding people to tags and lists validate meaning beyond
# what a schema can say (a name needs a last name, an address a house number and street, a
# sign-up some way to reach the person, an amount whole cents, a person id an existing person
# one may see):
# 400 with the field named is the intended answer there, so "schema-valid request accepted"
# is not checked on them.
log "schemathesis: people search and sign-ups"
st -H "Authorization: Bearer $KEY" --include-path /api/v1/people --include-path /api/v1/people/person_signup_helper \
  --include-path /api/v1/donations/record_donation_helper \
  --include-path-regex '^/api/v1/(tags|lists)/\{id\}/(taggings|items)$' \
  --exclude-checks positive_data_acceptance "$@"
log "schemathesis: admin session (operations keys never get)"
st -H "Authorization: Bearer $SESSION" --include-path /api/v1/audit --include-path /api/v1/users \
  --include-path /api/v1/review --include-path /api/v1/review/decisions --include-path /api/v1/health/data \
  --include-path /api/v1/resolve "$@"
# Loading files: a schema-valid body is rarely a file of the kind named; 400 naming `file`
# (nothing kept) is the intended answer there.
log "schemathesis: loading files (admin session)"
st -H "Authorization: Bearer $SESSION" --include-path /api/v1/loads --exclude-checks positive_data_acceptance "$@"
# Models: a schema-valid request may still be refused for the data it names (no vote history
# for that election, too few labelled people), so valid-data acceptance is not checked here.
# The universe table is read into memory at the first count (503 until then): wait for it.
for _ in $(seq 60); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SESSION" "http://127.0.0.1:$PORT/api/v1/universes/count?expression=")
  [ "$code" = 200 ] && break
  sleep 0.5
done
log "schemathesis: models, universes, the overview, canvass results (admin session)"
st -H "Authorization: Bearer $SESSION" --include-path-regex '^/api/v1/(models|universes|allocations|turfs|overview|goals|people/\{id\}/record_canvass)' \
  --exclude-checks positive_data_acceptance "$@"
# Election day: a call-centre key that reports and reads. A report names a voter of the roll
# (an invented id is refused with the field named), and the board is read into memory first
# (503 until then), so valid-data acceptance is not checked.
# Trips: a post names an office of the board and a town Tusk knows (or coordinates), so a
# schema-valid post may be refused with the field named; valid-data acceptance is not checked.
log "schemathesis: sharing and trips (admin session: a supporter's consent, uploads and asks; settings, report, credit; the trip board, answers, messages, needs, the planner)"
st -H "Authorization: Bearer $SESSION" --include-path-regex '^/api/v1/(sharing|trips|teams)' \
  --exclude-checks positive_data_acceptance "$@"
TKEY=$("$TUSK" key add fuzz-turnout --scopes turnout:write,turnout:read | tail -n 1 | tr -d ' ')
for _ in $(seq 60); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TKEY" "http://127.0.0.1:$PORT/api/v1/turnout/board")
  [ "$code" = 200 ] && break
  sleep 0.5
done
log "schemathesis: election day (a key with turnout:write and turnout:read)"
st -H "Authorization: Bearer $TKEY" --include-path-regex '^/api/v1/turnout' \
  --exclude-checks positive_data_acceptance "$@"
