#!/usr/bin/env bash
# The load benchmark: builds in release mode, seeds a forum with `agora seed-demo`, starts
# the server and the reference page beside it, drives both with wrk, and writes a Markdown
# table of req/s, p50, p99, max and RSS per scenario, each as a ratio to the reference page
# measured in the same run.
#
#   benches/run.sh            # the full run: 1,000,000 posts, 30 s per scenario -> BENCHMARKS.md
#   benches/run.sh --small    # 10,000 posts, 3 s per scenario (CI) -> target/bench/small/BENCHMARKS.md
#
# Options: --reuse (keep a seeded database of the same size from an earlier run),
# --duration S, --out FILE, --only REGEX (only the scenarios whose names match, reported
# to target/bench/SIZE/partial.md unless --out says otherwise), --postgres URL (serve the
# forum from that PostgreSQL database instead, a copy of the seeded SQLite forum made with
# `agora db copy`; the reference page stays on SQLite), --servers N (N forum processes on
# one database, each driven by its own wrk with 1/N of the connections; rates add up).
# AGORA_BIN=PATH measures another build of agora (say, one made before a change) against
# the same database and reference, for an A/B comparison within one sitting.
# Needs wrk (Debian: apt-get install wrk) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

size=full
duration=30
warmup=5
out=""
reuse=false
only=""
postgres=""
servers=1
while [ $# -gt 0 ]; do
  case "$1" in
    --small) size=small ;;
    --reuse) reuse=true ;;
    --duration) duration="$2"; shift ;;
    --out) out="$2"; shift ;;
    --only) only="$2"; shift ;;
    --postgres) postgres="$2"; shift ;;
    --servers) servers="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$size" = small ]; then
  threads=500 posts=10000 users=400 long=2000
  [ "$duration" = 30 ] && duration=3
  warmup=1
else
  threads=50000 posts=1000000 users=20000 long=100000
fi
work="target/bench/$size"
if [ -n "$only" ]; then
  out="${out:-$work/partial.md}"
else
  out="${out:-$([ "$size" = full ] && echo BENCHMARKS.md || echo "$work/BENCHMARKS.md")}"
fi
# Whether scenario $1 is one to run.
wanted() { [ -z "$only" ] || [[ "$1" =~ $only ]]; }
mkdir -p "$work"
rm -f "$work"/peak.*
db="$work/forum.db"
results="$work/results.tsv"
: >"$results"

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "benches/run.sh needs $tool (apt-get install $tool)" >&2; exit 1; }
done

say() { printf '\n== %s\n' "$*" >&2; }
# Seconds since a `date +%s.%N` stamp.
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

say "building (release)"
cargo build --release --quiet --bin agora --example bench_reference --example bench_plan
agora=${AGORA_BIN:-target/release/agora}
plan_tool=target/release/examples/bench_plan
reference_bin=target/release/examples/bench_reference

# --- the database ---------------------------------------------------------------------
shape="$threads $posts $users $long"
seed_s="(reused)"
if $reuse && [ -f "$db" ] && [ "$(cat "$work/shape" 2>/dev/null)" = "$shape" ]; then
  say "reusing $db"
else
  say "seeding $posts posts in $threads threads"
  rm -f "$db" "$db-wal" "$db-shm" "$db.key" "$work/shape" "$work/staff.secret"
  start=$(date +%s.%N)
  "$agora" --database "$db" seed-demo --threads "$threads" --posts "$posts" --users "$users" \
    --long-thread "$long" >&2
  seed_s=$(elapsed "$start")
  echo "$shape" >"$work/shape"
fi
# The forum's own database: the seeded file, or a copy of it on PostgreSQL (made again
# whenever the file was seeded again).
forum_db="$db"
staff_secret="$work/staff.secret"
copy_s="-"
if [ -n "$postgres" ]; then
  forum_db="$postgres"
  staff_secret="$work/staff.secret.pg"
  export AGORA_TOTP_KEY
  AGORA_TOTP_KEY=$(cat "$db.key")
  marker="$shape $(stat -c %Y "$work/shape") $postgres"
  if [ "$(cat "$work/pg.copied" 2>/dev/null)" != "$marker" ]; then
    say "copying the forum to PostgreSQL"
    admin="${postgres%/*}/postgres"
    name="${postgres##*/}"
    psql -q "$admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >&2
    start=$(date +%s.%N)
    "$agora" db copy --from "$db" --to "$postgres" >"$work/copy.log" 2>&1
    copy_s=$(elapsed "$start")
    rm -f "$staff_secret"
    [ -f "$work/staff.secret" ] && cp "$work/staff.secret" "$staff_secret"
    echo "$marker" >"$work/pg.copied"
  fi
fi
"$plan_tool" plan "$db" "$work/plan.lua"
export BENCH_PLAN="$work/plan.lua"
declare -A fact
while read -r name value; do fact[$name]=$value; done < <("$plan_tool" facts "$db")

# --- servers ----------------------------------------------------------------------------
port=$((20000 + RANDOM % 20000))
ref_port=$((port + 1))
base="http://127.0.0.1:$port"
ref_base="http://127.0.0.1:$ref_port"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# Milliseconds from starting the process until /healthz answers 200.
wait_ready() {
  local url=$1 start=$2
  for _ in $(seq 1 3000); do
    if curl -fs -o /dev/null "$url"; then
      echo $(( ($(date +%s%N) - start) / 1000000 ))
      return
    fi
    sleep 0.01
  done
  echo "server at $url did not start" >&2
  exit 1
}

say "starting the forum ($servers process(es)) and the reference page"
# Server i listens on port + 2i and logs to server.i.log; server 0 is "$base".
server_pids=()
rm -f "$work"/server.*.log
for i in $(seq 0 $((servers - 1))); do
  start=$(date +%s%N)
  RUST_LOG=info AGORA_TRUSTED_PROXIES=127.0.0.1 "$agora" --database "$forum_db" serve \
    --bind "127.0.0.1:$((port + 2 * i))" >"$work/server.$i.log" 2>&1 &
  server_pids+=($!)
  pids+=($!)
  ms=$(wait_ready "http://127.0.0.1:$((port + 2 * i))/healthz" "$start")
  [ "$i" = 0 ] && ready_ms=$ms
done
server_pid=${server_pids[0]}
"$reference_bin" "$db" "127.0.0.1:$ref_port" >"$work/reference.log" 2>&1 &
pids+=($!)
wait_ready "$ref_base/?from=1" "$(date +%s%N)" >/dev/null

# Of all the forum's processes together.
rss_kib() { for p in "${server_pids[@]}"; do cat "/proc/$p/status"; done | awk '/^VmRSS/ {s += $2} END {print s + 0}'; }
# Where each server's log stands now, and what the servers logged since such a mark.
log_marks() { for i in $(seq 0 $((servers - 1))); do wc -l <"$work/server.$i.log"; done | tr '\n' ' '; }
logs_since() {
  local marks=($1) i
  for i in $(seq 0 $((servers - 1))); do tail -n +"$((marks[i] + 1))" "$work/server.$i.log"; done
}

# --- accounts ---------------------------------------------------------------------------
password=demo-password-2026
export BENCH_PASSWORD=$password
json_field() { grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }
login() {
  curl -fs -H 'content-type: application/json' "$base/api/v1/sessions" \
    -d "{\"username\":\"$1\",\"password\":\"$password\"$2}" | json_field token
}

say "signing in: a staff account with 2FA and 32 members"
staff=bench_staff
if [ ! -f "$staff_secret" ]; then
  echo "$password" | "$agora" --database "$forum_db" user create "$staff" --role staff --password-stdin >&2
  token=$(login "$staff" "")
  secret=$(curl -fs -X POST -H "authorization: Bearer $token" "$base/api/v1/me/totp" | json_field secret)
  curl -fs -o /dev/null -H "authorization: Bearer $token" -H 'content-type: application/json' \
    "$base/api/v1/me/totp/confirm" -d "{\"otp\":\"$("$plan_tool" totp "$secret")\"}"
  echo "$secret" >"$staff_secret"
  staff_token=$token
else
  # A reused database: log in with a code (each code once: wait for a fresh step if needed).
  sleep $(( 31 - $(date +%s) % 30 ))
  staff_token=$(login "$staff" ",\"otp\":\"$("$plan_tool" totp "$(cat "$staff_secret")")\"")
fi
[ -n "$staff_token" ] || { echo "staff login failed" >&2; exit 1; }
staff_cookie="agora_session=$staff_token"

members=$(grep -o '^  members = {.*}' "$work/plan.lua" | grep -o '"[^"]*"' | tr -d '"' | awk 'NR <= 32')
tokens=""
while read -r name; do
  t=$(login "$name" "")
  [ -n "$t" ] && tokens="$tokens${tokens:+,}$t"
done <<<"$members"
[ -n "$tokens" ] || { echo "member logins failed" >&2; exit 1; }
export BENCH_TOKENS=$tokens

# --- scenarios --------------------------------------------------------------------------
# p50 and p99 (tab-separated, in ms) of sorted numbers on stdin; "-" for none.
percentiles() {
  awk '{ v[NR] = $1 } END {
    if (NR == 0) { printf "-\t-"; exit }
    i50 = int(NR * 0.50 + 0.999); i99 = int(NR * 0.99 + 0.999)
    printf "%.2f\t%.2f", v[i50], v[i99] }'
}

# run NAME BASE SCRIPT CONNECTIONS SECONDS [VAR=VALUE ...]: a warm-up, then the measured
# run; appends NAME, connections, the wrk summary and the server's peak RSS to $results.
run() {
  local name=$1 url=$2 script=$3 conns=$4 secs=$5
  shift 5
  wanted "$name" || return 0
  env "$@" wrk -t2 -c"$conns" -d"${warmup}s" -s "benches/wrk/$script" "$url" >/dev/null 2>&1 || true
  local peak_file="$work/peak.$name" line
  (peak=0; while kill -0 "$server_pid" 2>/dev/null; do
     r=$(rss_kib); [ "${r:-0}" -gt "$peak" ] && peak=$r && echo "$peak" >"$peak_file"; sleep 0.2
   done) &
  local sampler=$!
  local from_marks
  from_marks=$(log_marks)
  if [ "$url" = "$base" ] && [ "$servers" -gt 1 ]; then
    # One wrk per server, each with its share of the connections; their summaries merge
    # into one (counts add up, latencies take the worst of the instances).
    local i wrks=()
    for i in $(seq 0 $((servers - 1))); do
      env "$@" wrk -t$((2 / servers > 0 ? 2 / servers : 1)) -c$((conns / servers)) -d"${secs}s" --timeout 10s \
        -s "benches/wrk/$script" "http://127.0.0.1:$((port + 2 * i))" \
        | grep '^BENCH_JSON ' | cut -d' ' -f2- >"$work/wrk.$i.json" &
      wrks+=($!)
    done
    wait "${wrks[@]}"
    line=$(merge_wrk "$work"/wrk.*.json)
    rm -f "$work"/wrk.*.json
  else
    line=$(env "$@" wrk -t2 -c"$conns" -d"${secs}s" --timeout 10s -s "benches/wrk/$script" "$url" \
      | grep '^BENCH_JSON ' | cut -d' ' -f2-)
  fi
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  # The server's own latency of the requests this scenario sent, from its request log.
  local method=GET server=$'-\t-'
  case "$script" in post.lua | login.lua) method=POST ;; esac
  if [ "$url" = "$base" ]; then
    server=$(logs_since "$from_marks" | grep "agora::request: method=$method " \
      | grep -o 'latency_ms=[0-9.]*' | cut -d= -f2 | sort -n | percentiles)
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$conns" "$line" "$(cat "$peak_file" 2>/dev/null || echo 0)" "$server" >>"$results"
  printf '  %-28s %s\n' "$name" "$line" >&2
}

# One wrk summary from several (the JSON lines in the given files).
merge_wrk() {
  cat "$@" | awk '
    {
      n = split($0, parts, /[{},]/)
      for (i = 1; i <= n; i++) {
        if (match(parts[i], /"[a-z_0-9]+":[0-9.]+$/)) {
          kv = substr(parts[i], RSTART, RLENGTH); split(kv, f, ":"); key = f[1]; gsub(/"/, "", key)
          if (key ~ /_us$/) { if (f[2] + 0 > v[key] + 0) v[key] = f[2] } else v[key] += f[2]
          if (!(key in seen)) { seen[key] = 1; order[++k] = key }
        }
      }
    }
    END {
      printf "{"
      for (i = 1; i <= k; i++) printf "%s\"%s\":%d", (i > 1 ? "," : ""), order[i], v[order[i]]
      printf "}\n"
    }'
}

# Runs a background load (same arguments as `run`, no warm-up, not recorded) while the
# given command runs, then stops it.
with_load() {
  local url=$1 script=$2 conns=$3 secs=$4
  shift 4
  local envs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  if [ "$1" = run ] && ! wanted "$2"; then return 0; fi
  env "${envs[@]}" wrk -t1 -c"$conns" -d"${secs}s" -s "benches/wrk/$script" "$url" >/dev/null 2>&1 &
  local load=$!
  "$@"
  kill "$load" 2>/dev/null || true
  wait "$load" 2>/dev/null || true
}

say "scenarios ($duration s each after a ${warmup} s warm-up)"
run reference "$ref_base" reference.lua 64 "$duration"
run thread_anonymous "$base" thread_page.lua 64 "$duration"
run thread_signed_in_staff "$base" thread_page.lua 64 "$duration" BENCH_COOKIE="$staff_cookie"
run board_first_page "$base" board.lua 64 "$duration" BENCH_DEPTH=first
run board_deepest_page "$base" board.lua 64 "$duration" BENCH_DEPTH=deepest
run board_any_depth "$base" board.lua 64 "$duration" BENCH_DEPTH=any
run search_common_word "$base" search.lua 16 "$duration" BENCH_QUERIES=common
run search_multi_word "$base" search.lua 16 "$duration" BENCH_QUERIES=multi
# The same queries from two clients (one per core): a search's latency without a queue.
run search_common_word_2_clients "$base" search.lua 2 "$duration" BENCH_QUERIES=common
run search_multi_word_2_clients "$base" search.lua 2 "$duration" BENCH_QUERIES=multi
run thread_probe_idle "$base" thread_page.lua 8 "$duration"
run posting_32_writers "$base" post.lua 32 "$duration"
# 100 posts/s: 4 connections, each waiting 40 ms before its next post.
with_load "$base" post.lua 4 $((duration + warmup + 2)) BENCH_DELAY_MS=40 -- \
  run thread_probe_while_posting "$base" thread_page.lua 8 "$duration"
log_mark=$(log_marks)
with_load "$base" login.lua 64 $((duration + warmup + 2)) -- \
  run thread_probe_during_login_storm "$base" thread_page.lua 8 "$duration"
run login_storm "$base" login.lua 64 "$duration"
# The server's own latency of refused logins (429/503) during the storms, from its log.
refused=$(logs_since "$log_mark" \
  | grep 'path=/api/v1/sessions status=\(429\|503\)' \
  | grep -o 'latency_ms=[0-9.]*' | cut -d= -f2 | sort -n || true)
refused_count=$(echo -n "$refused" | grep -c . || true)
# (awk reads to the end: stopping early would fail the pipeline on the writer's SIGPIPE.)
refused_p99=$( [ "$refused_count" -gt 0 ] && echo "$refused" | awk -v n="$refused_count" 'NR == int(n * 0.99 + 0.999) {v = $0} END {print v}' || echo -)
refused_max=$( [ "$refused_count" -gt 0 ] && echo "$refused" | tail -1 || echo -)

reindex_s="-"
if wanted reindex; then
  say "search reindex while serving"
  reindex_start=$(date +%s.%N)
  with_load "$base" thread_page.lua 8 3600 -- \
    "$agora" --database "$forum_db" search reindex >"$work/reindex.log" 2>&1
  reindex_s=$(elapsed "$reindex_start")
fi
peak_rss=$(cat "$work"/peak.* 2>/dev/null | sort -n | tail -1)

# --- the report -------------------------------------------------------------------------
say "writing $out"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git diff --quiet 2>/dev/null && echo "" || echo " (with uncommitted changes)")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
cores=$(nproc)
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

{
  echo "# Benchmarks"
  echo
  echo "Measured $(date -u +%Y-%m-%d) on commit \`$commit\`$dirty; $cores cores ($cpu); bundled SQLite ${fact[sqlite_version]};"
  if [ -n "$postgres" ]; then
    echo "the forum served from PostgreSQL $(psql -Atc 'SHOW server_version' "$postgres" 2>/dev/null) on the same machine by $servers process(es), a copy of the seeded forum;"
  fi
  echo "wrk with 2 threads on the same machine. Forum: ${fact[users]} users, ${fact[threads]} threads,"
  echo "${fact[posts]} posts (one thread of $long); database $(mib $(( ${fact[db_bytes]} / 1024 ))) MiB${fact[index_bytes]:+, of which the search index $(mib $(( ${fact[index_bytes]} / 1024 ))) MiB}."
  echo
  echo "Reproduce: \`benches/run.sh$([ "$size" = small ] && echo " --small")$([ -n "$postgres" ] && echo " --postgres URL")$([ "$servers" -gt 1 ] && echo " --servers $servers")$([ -n "$only" ] && echo " --only '$only'")\` ($duration s per scenario after a $warmup s warm-up)."
  echo "Every rate is also given as a share of the reference page's (one pooled query by key range"
  echo "for 20 posts, rendered with askama: \`examples/bench_reference.rs\`) measured in the same run."
  echo
  echo "Latencies are wrk's (queueing in the client included) and, under \"server\", the server's own"
  echo "from its request log."
  echo
  echo "| scenario | connections | req/s | of reference | p50 ms | p99 ms | max ms | server p50 ms | server p99 ms | non-2xx | peak RSS MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '
    function field(json, key,   m) {
      if (match(json, "\"" key "\":[0-9]+")) { m = substr(json, RSTART, RLENGTH); sub(/.*:/, "", m); return m + 0 }
      return 0
    }
    {
      req = field($3, "requests"); dur = field($3, "duration_us") / 1e6
      rate = dur > 0 ? req / dur : 0
      if ($1 == "reference") ref = rate
      share = ref > 0 ? sprintf("%.0f%%", 100 * rate / ref) : "-"
      bad = field($3, "status_errors") + field($3, "timeouts") + field($3, "connect_errors") + field($3, "read_errors")
      printf "| %s | %s | %.0f | %s | %.2f | %.2f | %.1f | %s | %s | %d | %.0f |\n", $1, $2, rate, share,
        field($3, "p50_us") / 1000, field($3, "p99_us") / 1000, field($3, "max_us") / 1000,
        $5, $6, bad, $4 / 1024
    }' "$results"
  echo
  echo "Login storm: statuses $(grep '^login_storm' "$results" | grep -o '"statuses":{[^}]*}' | cut -d: -f2-);"
  echo "the server answered $refused_count refused logins (429/503) with p99 ${refused_p99} ms, max ${refused_max} ms (its own latency, from its request log)."
  echo
  echo "| resource | measured |"
  echo "|---|---:|"
  echo "| peak RSS under load | $(mib "${peak_rss:-0}") MiB |"
  echo "| ready to serve after start | $ready_ms ms |"
  echo "| \`agora search reindex\` while serving | $([ "$reindex_s" = - ] && echo "(not run)" || printf '%.0f s' "$reindex_s") |"
  echo "| \`agora seed-demo\` | $([ "$seed_s" = "(reused)" ] && echo "(reused database)" || printf '%.0f s' "$seed_s") |"
  if [ "$copy_s" != - ]; then
    echo "| \`agora db copy\` to PostgreSQL | $(printf '%.0f s' "$copy_s") |"
  fi
} >"$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
