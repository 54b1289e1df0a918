#!/usr/bin/env bash
# The hub's overhead on an action, in one run on loopback: `plaid_list_accounts` through linkhub
# (POST /actions/rpc), the same `/accounts/get` straight at the emulator, and the same through
# Debian's nginx as a plain keep-alive reverse proxy in front of the emulator, and the same action
# as an MCP tool (tools/call on POST /mcp, one session, JSON answers).
# Usage: bench/hub_rpc.sh [duration_seconds] [connections]     (WRK_THREADS=1 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
connections=${2:-32}
threads=${WRK_THREADS:-1}
if [[ -z ${BENCH_SKIP_BUILD:-} ]]; then scripts/build plaid-emulator linkhub >/dev/null; fi

work=$(mktemp -d /tmp/linkhub-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${BENCH_KEEP:-} ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 200); do grep -q listening "$1" 2>/dev/null && return; sleep 0.05; done; echo "no $1" >&2; exit 1; }

# The emulator: the same backend for all three.
build/bin/plaid-emulator --listen 127.0.0.1:0 --rate-limits off --log-level warn --threads 2 \
  >"$work/emu.out" 2>"$work/emu.log" &
pids+=($!)
wait_for "$work/emu.out"
emu=$(grep -o 'http://[0-9.:]*' "$work/emu.out")

# linkhub, its per-Item budget off (Plaid's 15 calls a minute would otherwise be the bench).
export LINKHUB_MASTER_KEY; LINKHUB_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
key=$(build/bin/linkhub project create --name bench --data-dir "$work/data" |
  sed -n 's/.*"api_key": "\([^"]*\)".*/\1/p')
LINKHUB_PLAID_SECRET=linkhub-demo-secret build/bin/linkhub serve --listen 127.0.0.1:0 \
  --data-dir "$work/data" --plaid-base-url "$emu" --plaid-client-id linkhub-demo-client \
  --plaid-rate-budget off --rate-limit-per-key 0 --log-level ${BENCH_HUB_LOG_LEVEL:-warn} ${BENCH_HUB_ARGS:-} >"$work/hub.out" 2>"$work/hub.log" &
pids+=($!)
wait_for "$work/hub.out"
hub=$(grep -o 'http://[0-9.:]*' "$work/hub.out")

# nginx as a plain reverse proxy with upstream keep-alive.
nginx_port=$(free_port)
user_line=""
if [[ $(id -u) == 0 ]]; then user_line="user root root;"; fi
cat >"$work/nginx.conf" <<NGINX
$user_line
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work;
  uwsgi_temp_path $work; scgi_temp_path $work;
  upstream plaid { server ${emu#http://}; keepalive 64; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://plaid;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
NGINX
nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break; sleep 0.05; done

# One Item behind the hub, one used directly (same institution, same 4.4 KB answer).
hdr=(-H 'Content-Type: application/json' -H 'PLAID-CLIENT-ID: linkhub-demo-client' -H 'PLAID-SECRET: linkhub-demo-secret')
public_token() {
  curl -sf "${hdr[@]}" "$emu/sandbox/public_token/create" \
    -d '{"institution_id":"ins_109508","initial_products":["transactions"]}' |
    sed 's/.*"public_token":"\([^"]*\)".*/\1/'
}
session=$(curl -sf -u "$key:" "$hub/connect_sessions" -H 'Content-Type: application/json' \
  -d '{"origin_owner_id":"bench","origin_owner_name":"Bench"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
account=$(curl -sf "$hub/hub/accounts" -H "x-hub-session-token: $session" -H 'Content-Type: application/json' \
  -d "{\"credentials\":{\"public_token\":\"$(public_token)\"}}" | sed 's/^{"id":"\([^"]*\)".*/\1/')
access=$(curl -sf "${hdr[@]}" "$emu/item/public_token/exchange" -d "{\"public_token\":\"$(public_token)\"}" |
  sed 's/.*"access_token":"\([^"]*\)".*/\1/')

cat >"$work/rpc.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"action":"plaid_list_accounts"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic $(printf '%s:' "$key" | base64 -w0)"
wrk.headers["x-account-id"] = "$account"
LUA
cat >"$work/plaid.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"access_token":"$access"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["PLAID-CLIENT-ID"] = "linkhub-demo-client"
wrk.headers["PLAID-SECRET"] = "linkhub-demo-secret"
LUA
# An MCP session on the same account; tools/call answers the same Plaid bytes, wrapped.
mcp_session=$(curl -sf -D - -o /dev/null -u "$key:" "$hub/mcp" -H "x-account-id: $account" \
  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}' |
  tr -d '\r' | sed -n 's/^[Mm]cp-[Ss]ession-[Ii]d: //p')
mcp_call='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"plaid_list_accounts","arguments":{}}}'
cat >"$work/mcp.lua" <<LUA
wrk.method = "POST"
wrk.body = '$mcp_call'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Authorization"] = "Basic $(printf '%s:' "$key" | base64 -w0)"
wrk.headers["Mcp-Session-Id"] = "$mcp_session"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
LUA
# Sanity: each target answers 200 with the accounts.
curl -sf -u "$key:" "$hub/mcp" -H "Mcp-Session-Id: $mcp_session" -H 'Content-Type: application/json' \
  -d "$mcp_call" | grep -q '"isError":false'
curl -sf -o /dev/null -u "$key:" "$hub/actions/rpc" -H "x-account-id: $account" -H 'Content-Type: application/json' -d '{"action":"plaid_list_accounts"}'
curl -sf -o /dev/null "${hdr[@]}" "http://127.0.0.1:$nginx_port/accounts/get" -d "{\"access_token\":\"$access\"}"

run() {  # name lua url
  echo "== $1: wrk -t$threads -c$connections -d${duration}s --latency -s $(basename "$2") $3" >&2
  local out; out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$2" "$3")
  echo "$out" >&2
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}" >>"$work/results"
}
if [[ -n ${BENCH_ONLY_NGINX:-} ]]; then run "nginx proxy" "$work/plaid.lua" "http://127.0.0.1:$nginx_port/accounts/get"; sleep "${BENCH_HOLD:-0}"; exit 0; fi
if [[ -n ${BENCH_ONLY_HUB:-} ]]; then run "linkhub rpc" "$work/rpc.lua" "$hub/actions/rpc"; echo "hub pid: ${pids[1]}" >&2; sleep "${BENCH_HOLD:-0}"; exit 0; fi
# Rounds interleave the four targets, so that a change in the shared machine's load touches all
# four alike; the summary takes each target's median over the rounds.
rounds=${BENCH_ROUNDS:-3}
for ((round = 1; round <= rounds; round++)); do
  run "emulator direct" "$work/plaid.lua" "$emu/accounts/get"
  run "nginx proxy" "$work/plaid.lua" "http://127.0.0.1:$nginx_port/accounts/get"
  run "linkhub rpc" "$work/rpc.lua" "$hub/actions/rpc"
  run "linkhub mcp" "$work/mcp.lua" "$hub/mcp"
done

echo
printf 'round\ttarget\trequests/s\tp50\tp99\tnon-2xx\n'
awk -F'\t' '{ printf "%d\t%s\n", int((NR - 1) / 4) + 1, $0 }' "$work/results"
awk -F'\t' '
  function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
  function median(list, n,   i, j, t, a) {
    split(list, a, " "); n = length(a)
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { rps[$1] = rps[$1] " " $2; p50[$1] = p50[$1] " " ms($3); p99[$1] = p99[$1] " " ms($4) }
  END {
    printf "\nmedians over the rounds\ntarget\trequests/s\tp50\tp99\n"
    for (t in rps) printf "%s\t%.0f\t%.2fms\t%.2fms\n", t, median(rps[t]), median(p50[t]), median(p99[t])
    hr = median(rps["linkhub rpc"]); nr = median(rps["nginx proxy"])
    hp = median(p99["linkhub rpc"]); np = median(p99["nginx proxy"])
    printf "linkhub / nginx: throughput %.2fx (target >= 0.8), p99 %.2fx (target <= 2)\n", hr / nr, hp / np
    mr = median(rps["linkhub mcp"]); mp = median(p99["linkhub mcp"])
    printf "mcp tools/call / rpc: throughput %.2fx (aim >= 0.9), p99 %.2fx\n", mr / hr, mp / hp
  }' "$work/results"
