#!/usr/bin/env bash
# Instructions per request on linkhub's RPC path (plaid_list_accounts through POST /actions/rpc),
# counted by valgrind's callgrind, which the machine's load does not move: linkhub --threads 1
# under callgrind, instrumentation on only for 15 s of `wrk -t1 -c2` after a 5 s warm-up, the I/O
# thread's count divided by the requests wrk made. Prints the figure and keeps the profile (read it
# with callgrind_annotate --inclusive=yes FILE).
# Usage: bench/callgrind_rpc.sh            (uses build/bin as it is)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/cg.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
wait_for() { for _ in $(seq 600); do grep -q listening "$1" 2>/dev/null && return; sleep 0.1; done; echo "no $1" >&2; exit 1; }
build/bin/plaid-emulator --listen 127.0.0.1:0 --rate-limits off --log-level warn --threads 1 >"$work/emu.out" 2>"$work/emu.log" &
pids+=($!); wait_for "$work/emu.out"; emu=$(grep -o 'http://[0-9.:]*' "$work/emu.out")
export LINKHUB_MASTER_KEY; LINKHUB_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
key=$(build/bin/linkhub project create --name bench --data-dir "$work/data" | sed -n 's/.*"api_key": "\([^"]*\)".*/\1/p')
LINKHUB_PLAID_SECRET=linkhub-demo-secret valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes \
  --callgrind-out-file="$work/cg.%p" build/bin/linkhub serve --listen 127.0.0.1:0 --threads 1 \
  --data-dir "$work/data" --plaid-base-url "$emu" --plaid-client-id linkhub-demo-client \
  --plaid-rate-budget off --rate-limit-per-key 0 --log-level warn >"$work/hub.out" 2>"$work/hub.log" &
hubpid=$!; pids+=($hubpid); wait_for "$work/hub.out"; hub=$(grep -o 'http://[0-9.:]*' "$work/hub.out")
hdr=(-H 'Content-Type: application/json' -H 'PLAID-CLIENT-ID: linkhub-demo-client' -H 'PLAID-SECRET: linkhub-demo-secret')
pt=$(curl -sf "${hdr[@]}" "$emu/sandbox/public_token/create" -d '{"institution_id":"ins_109508","initial_products":["transactions"]}' | sed 's/.*"public_token":"\([^"]*\)".*/\1/')
session=$(curl -sf -u "$key:" "$hub/connect_sessions" -H 'Content-Type: application/json' -d '{"origin_owner_id":"bench","origin_owner_name":"Bench"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
account=$(curl -sf "$hub/hub/accounts" -H "x-hub-session-token: $session" -H 'Content-Type: application/json' -d "{\"credentials\":{\"public_token\":\"$pt\"}}" | sed 's/^{"id":"\([^"]*\)".*/\1/')
cat >"$work/rpc.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"action":"plaid_list_accounts"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic $(printf '%s:' "$key" | base64 -w0)"
wrk.headers["x-account-id"] = "$account"
LUA
wrk -t1 -c2 -d5s -s "$work/rpc.lua" "$hub/actions/rpc" >/dev/null
callgrind_control -i on $hubpid >/dev/null
wrk -t1 -c2 -d15s -s "$work/rpc.lua" "$hub/actions/rpc" > "$work/wrk.txt"
callgrind_control -i off $hubpid >/dev/null
callgrind_control -d $hubpid >/dev/null
reqs=$(grep -o '[0-9]* requests in' "$work/wrk.txt" | cut -d' ' -f1)
echo "requests: $reqs"; grep -E "Non-2xx|Socket errors" "$work/wrk.txt" || true
kill $hubpid; wait $hubpid 2>/dev/null || true

# The I/O thread is the one that counted the most.
best=""; most=0
for f in "$work"/cg.*; do
  n=$(sed -n 's/^totals: //p' "$f" | head -1)
  if [[ -n $n && $n -gt $most ]]; then most=$n; best=$f; fi
done
echo "I/O thread: $most instructions, $((most / reqs)) per request ($best)"
