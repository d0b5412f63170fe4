#!/usr/bin/env bash
# Contract tests: schemathesis checks a live `onsite hq serve` (SQLite, a free
# 127.0.0.1 port) against the OpenAPI document it publishes, once with the
# admin token and once with a device token, all checks, a bounded number of
# examples per operation. 0 failures: no 5xx, no undocumented status, no
# response that breaks its schema, no schema-valid request rejected. A failure
# prints schemathesis' reproducing curl command.
set -euo pipefail
cd "$(dirname "$0")/.."

# Examples per operation and phase: enough to find a wrong schema, bounded so the stage takes minutes.
EXAMPLES="${CONTRACT_EXAMPLES:-25}"
SCHEMATHESIS_VERSION="4.32.5"
HYPOTHESIS_VERSION="6.170.17"
target="${CARGO_TARGET_DIR:-$PWD/target}"
config="$PWD/scripts/contract-test.toml"
hooks_dir="$PWD/scripts"
venv="$target/contract-venv"

# Debian splits venv (ensurepip) out of python3; curl drives HQ below.
if ! python3 -c 'import ensurepip' 2>/dev/null || ! command -v curl >/dev/null; then
  echo "installing python3-venv and curl (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv curl >/dev/null
fi

if [ "$("$venv/bin/schemathesis" --version 2>/dev/null | grep -o '[0-9][0-9.]*$')" != "$SCHEMATHESIS_VERSION" ]; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" "hypothesis==$HYPOTHESIS_VERSION"
fi

cargo build -q -p onsite-cli
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
admin="contract-admin-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
"$target/debug/onsite" hq serve --db "$work/hq.sqlite3" --listen "127.0.0.1:$port" --admin-token "$admin" \
  >"$work/hq.log" 2>&1 &
hq_pid=$!
cleanup() {
  kill "$hq_pid" 2>/dev/null || true
  wait "$hq_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 100); do
  curl -sf "$base/v1/health" >/dev/null && break
  sleep 0.1
done
curl -sf "$base/v1/health" >/dev/null || { echo "HQ did not start:"; cat "$work/hq.log"; exit 1; }

# A device token the way a phone gets one: a technician, an enrollment code, enroll.
api() { curl -sf -X POST "$base$1" -H 'content-type: application/json' "${@:3}" -d "$2"; }
api /v1/technicians '{"technician_id": "T-CONTRACT", "name": "Contract"}' -H "authorization: Bearer $admin" >/dev/null
code="$(api /v1/enrollments '{"technician_id": "T-CONTRACT"}' -H "authorization: Bearer $admin" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["code"])')"
device="$(api /v1/enroll "{\"code\": \"$code\", \"device_id\": \"DEV-CONTRACT\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"

# Orders the run can find (besides the ids it makes up, which meet 404s): its
# path parameter job_id draws from these half the time (contract-test.toml).
for n in 1 2 3; do
  at="$(date -u -d "+$n day" +%Y-%m-%dT09:00:00Z)"
  api /v1/orders "{\"job_id\": \"J-CONTRACT-$n\", \"category\": \"property_repair\", \"site\": \"Site\",
    \"customer\": {\"name\": \"Customer\", \"phone\": \"13800000000\"}, \"location\": \"1-101\",
    \"reported_at\": \"$at\", \"dispatched_at\": \"$at\", \"appointment_at\": \"$at\", \"urgent\": false,
    \"service\": \"repair\", \"fault\": \"leak\", \"product\": null, \"recorder\": \"desk\",
    \"desired_completion_at\": null, \"default_payer\": \"owner\", \"technician_id\": \"T-CONTRACT\",
    \"unpaid_balance_fen\": 0}" -H "authorization: Bearer $admin" >/dev/null
done

failed=0
for who in admin device; do
  token="$admin"
  [ "$who" = device ] && token="$device"
  echo "==> schemathesis with the $who token"
  # --seed makes a run reproducible; each failure is printed with its curl command.
  (cd "$work" && SCHEMATHESIS_HOOKS=contract_hooks PYTHONPATH="$hooks_dir" \
    "$venv/bin/schemathesis" --config-file "$config" run "$base/v1/openapi.json" \
    --max-examples "$EXAMPLES" \
    --header "Authorization: Bearer $token" \
    --workers 1 \
    --no-color \
    --seed 12) \
    || failed=1
done
if [ "$failed" != 0 ]; then
  echo "contract tests failed (HQ's log: below)"
  tail -n 50 "$work/hq.log"
  exit 1
fi
echo "contract tests: 0 failures"
