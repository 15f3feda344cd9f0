#!/usr/bin/env bash
# The PostgreSQL comparison: the same seeded forum served from SQLite, from PostgreSQL by
# one app process, and from PostgreSQL by two, each driven by benches/run.sh for the read
# scenarios (thread page, board page, search) beside the reference page, in one sitting.
# The tables go into BENCHMARKS.md between the "postgres" markers (replaced on each run).
#
#   benches/postgres.sh            # 1,000,000 posts (seeds them first unless already seeded)
#   benches/postgres.sh --small    # 10,000 posts, 3 s per scenario
#
# Starts a throwaway PostgreSQL with .ci/postgres (Debian's server, installed if missing;
# fsync off, which only writes would notice) and copies the forum into it with
# `agora db copy` (timed in the report).
set -euo pipefail
cd "$(dirname "$0")/.."

size_flag=""
keep_sqlite=false
for arg in "$@"; do
  case "$arg" in
    --small) size_flag=--small ;;
    # Keep the SQLite table of an earlier sitting (only the PostgreSQL side changed).
    --keep-sqlite) keep_sqlite=true ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done
size=$([ -n "$size_flag" ] && echo small || echo full)
work="target/bench/$size"
only='^(reference|thread_anonymous|board_first_page|board_any_depth|search_common_word|search_multi_word|search_common_word_2_clients|search_multi_word_2_clients)$'

eval "$(.ci/postgres start)"
url="${AGORA_TEST_POSTGRES%/*}/agora_bench_$size"

if ! $keep_sqlite || [ ! -f "$work/pg.sqlite.md" ]; then
  benches/run.sh $size_flag --reuse --only "$only" --out "$work/pg.sqlite.md"
fi
benches/run.sh $size_flag --reuse --only "$only" --postgres "$url" --out "$work/pg.one.md"
benches/run.sh $size_flag --reuse --only "$only" --postgres "$url" --servers 2 --out "$work/pg.two.md"

# The scenario rows of a run's table, each prefixed with what served it.
rows() { grep '^| [a-z_0-9]* |' "$2" | grep -v '^| scenario \|^| resource ' | sed "s/^| /| $1 | /"; }

section="$work/pg.section.md"
{
  echo "<!-- postgres -->"
  echo "## PostgreSQL beside SQLite"
  echo
  grep '^Measured' "$work/pg.one.md" | head -1
  grep '^the forum served from PostgreSQL' "$work/pg.one.md" | head -1
  echo
  echo "Reproduce: \`benches/postgres.sh$([ -n "$size_flag" ] && echo " --small")\`: the same seeded forum, served from SQLite, then from"
  echo "PostgreSQL (a copy made with \`agora db copy\`) by one app process, then by two (each"
  echo "driven by its own wrk with half the connections; their rates add up, latencies are the"
  echo "worse of the two). The PostgreSQL server runs on the same two cores as the app and wrk."
  echo "Shares are of the reference page measured in the same run."
  echo
  echo "| served by | scenario | connections | req/s | of reference | p50 ms | p99 ms | max ms | server p50 ms | server p99 ms | non-2xx | peak RSS MiB |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  rows "SQLite" "$work/pg.sqlite.md"
  rows "PostgreSQL, 1 process" "$work/pg.one.md"
  rows "PostgreSQL, 2 processes" "$work/pg.two.md"
  echo
  grep '^| `agora db copy`' "$work/pg.one.md" | sed 's/^| `agora db copy` to PostgreSQL | \(.*\) |$/`agora db copy` of this forum to PostgreSQL took \1./' || true
  echo "<!-- /postgres -->"
} >"$section"

target=$([ "$size" = full ] && echo BENCHMARKS.md || echo "$work/BENCHMARKS.md")
touch "$target"
awk -v section="$section" '
  /^<!-- postgres -->$/ { skipping = 1; while ((getline line < section) > 0) print line; done = 1; next }
  /^<!-- \/postgres -->$/ { skipping = 0; next }
  !skipping { print }
  END { if (!done) { print ""; while ((getline line < section) > 0) print line } }
' "$target" >"$target.tmp"
mv "$target.tmp" "$target"
cat "$section"
