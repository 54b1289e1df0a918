#!/usr/bin/env bash
# Throughput of the emulator's /accounts/get under wrk on loopback.
# Usage: bench/emulator_accounts_get.sh [duration_seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15}
connections=${2:-64}
scripts/build plaid-emulator >/dev/null

out=$(mktemp)
build/bin/plaid-emulator --listen 127.0.0.1:0 --rate-limits off --log-level warn --threads 2 >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out" "$lua"' EXIT
for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.05; done
url=$(grep -o 'http://[0-9.:]*' "$out")

hdr=(-H 'Content-Type: application/json' -H 'PLAID-CLIENT-ID: linkhub-demo-client' -H 'PLAID-SECRET: linkhub-demo-secret')
public=$(curl -sf "${hdr[@]}" "$url/sandbox/public_token/create" \
  -d '{"institution_id":"ins_109508","initial_products":["transactions"]}' | sed 's/.*"public_token":"\([^"]*\)".*/\1/')
access=$(curl -sf "${hdr[@]}" "$url/item/public_token/exchange" -d "{\"public_token\":\"$public\"}" |
  sed 's/.*"access_token":"\([^"]*\)".*/\1/')

lua=$(mktemp --suffix=.lua)
cat >"$lua" <<LUA
wrk.method = "POST"
wrk.body = '{"access_token":"$access"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["PLAID-CLIENT-ID"] = "linkhub-demo-client"
wrk.headers["PLAID-SECRET"] = "linkhub-demo-secret"
LUA
echo "wrk -t${WRK_THREADS:-1} -c$connections -d${duration}s --latency -s accounts_get.lua $url/accounts/get"
wrk -t"${WRK_THREADS:-1}" -c"$connections" -d"${duration}s" --latency -s "$lua" "$url/accounts/get"
