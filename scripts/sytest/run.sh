#!/usr/bin/env bash
# Runs SyTest against this checkout and updates the ledger (docs/sytest.md):
#
#   npm run sytest                       # the whole suite (about 40+ minutes on 2 cores)
#   npm run sytest -- 30rooms 31sync     # some directories or files (paths under SyTest's tests/)
#   npm run sytest -- 30rooms/06invite.pl
#
# Each argument (a "chunk"; '+' joins several paths into one) is one run-tests.pl invocation with a
# fresh work directory, so a fresh server and database. Every file with a failing test is then run
# again on its own, to tell a stable failure from one that depends on what ran before it. Then
# scripts/sytest/ledger.ts merges the results into docs/sytest.md and exits non-zero if a test that
# passed in the committed ledger fails now.
#
# Environment: SYTEST_HOME (clones and output; default .sytest), RERUN (0: no re-runs; default 1),
# CHUNK_TIMEOUT (seconds per chunk, default 1800), PORT_RANGE (default 28800:28899),
# TIMEOUT_FACTOR (multiplies SyTest's timeouts; default 1), SYTEST_ARGS (extra run-tests.pl
# options), LEDGER (0: run only, leave the ledger alone), and scripts/sytest/install.sh's.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
HOME_DIR="${SYTEST_HOME:-$ROOT/.sytest}"
SYTEST="$HOME_DIR/sytest"
OUT="$HOME_DIR/out"
CHUNK_TIMEOUT=${CHUNK_TIMEOUT:-1800}
RERUN=${RERUN:-1}
PORT_RANGE=${PORT_RANGE:-28800:28899}
SYTEST_ARGS=${SYTEST_ARGS:-}
export TIMEOUT_FACTOR=${TIMEOUT_FACTOR:-1}

"$HERE/install.sh" || exit 1
[ -x "$ROOT/node_modules/.bin/bun" ] || { echo "sytest: run 'npm ci' first (node_modules/.bin/bun is missing)" >&2; exit 1; }

export PERL5LIB="$HERE/perl:$HOME_DIR/nahs/lib${PERL5LIB:+:$PERL5LIB}"
export SYTEST_CONDUIT_EXTRA_TOML="$HERE/server.toml"

if [ $# -gt 0 ]; then CHUNKS=("$@"); else
  CHUNKS=(10apidoc "11register.pl+12login+13logout.pl+14account" 30rooms 31sync 50federation
          41end-to-end-keys 51media 61push 60app-services
          "21presence-events.pl+32room-versions.pl+40presence.pl+42tags.pl+44account_data.pl+45openid.pl+46direct+48admin.pl+49ignore.pl+52user-directory+54identity.pl"
          "80torture+90jira")
fi

rm -rf "$OUT"; mkdir -p "$OUT"
git -C "$ROOT" rev-parse --short HEAD > "$OUT/project-commit.txt"
[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no -- src)" ] || echo "dirty" >> "$OUT/project-commit.txt"
git -C "$SYTEST" rev-parse --short HEAD > "$OUT/sytest-commit.txt"

# `exec` so that SyTest's stop signal reaches the server itself (a shell in between keeps it, and
# the server outlives the run). The server's JSON log goes next to its config.
HS_COMMAND="cd $ROOT && CONDUIT_CONFIG={config} exec node_modules/.bin/bun --no-env-file src/main.ts >>{config}.log 2>&1"

# Ends any server of ours still running from work directory $1 (found by its CONDUIT_CONFIG).
reap() {
  local dir=$1 p
  for p in /proc/[0-9]*; do
    if { tr '\0' '\n' < "$p/environ"; } 2>/dev/null | grep -q "^CONDUIT_CONFIG=$dir/"; then
      echo "sytest: ending leftover server ${p#/proc/}" >&2; kill "${p#/proc/}" 2>/dev/null
    fi
  done
}

# run_sytest NAME FILE...: one run-tests.pl invocation; NAME.tap (results), NAME.err (progress).
run_sytest() {
  local name=$1; shift
  local work="$OUT/work-$name"
  mkdir -p "$work"
  echo "$(date -u +%FT%TZ) start $name: $*" | tee -a "$OUT/runs.log"
  ( cd "$SYTEST" && exec nice -n 19 timeout -s INT -k 60 "$CHUNK_TIMEOUT" perl run-tests.pl -I Conduit \
      --hs-command "$HS_COMMAND" --work-directory "$work" -p "$PORT_RANGE" -O tap $SYTEST_ARGS "$@" \
      > "$OUT/$name.tap" 2> "$OUT/$name.err" )
  local rc=$?
  sleep 1; reap "$work"
  echo "$(date -u +%FT%TZ) end $name rc=$rc: $(grep -c '^ok ' "$OUT/$name.tap") ok, $(grep -c '^not ok ' "$OUT/$name.tap") not ok" | tee -a "$OUT/runs.log"
}

for chunk in "${CHUNKS[@]}"; do
  files=()
  IFS='+' read -r -a parts <<< "$chunk"
  for part in "${parts[@]}"; do
    part=${part#tests/}
    if [ -d "$SYTEST/tests/$part" ]; then
      while IFS= read -r f; do files+=("tests/$part/$f"); done < <(ls "$SYTEST/tests/$part" | grep '\.pl$' | sort)
    elif [ -f "$SYTEST/tests/$part" ]; then files+=("tests/$part")
    else echo "sytest: no test directory or file tests/$part in SyTest" >&2; exit 1; fi
  done
  run_sytest "chunk-$(echo "${parts[0]}" | sed 's#/#_#g; s/\.pl$//')" "${files[@]}"
done

# Every file with a failing test runs again on its own.
if [ "$RERUN" = 1 ]; then
  "$ROOT/node_modules/.bin/bun" "$HERE/ledger.ts" --failing-files "$OUT" > "$OUT/rerun-files.txt" || exit 1
  while IFS= read -r f; do
    run_sytest "rerun-$(echo "${f#tests/}" | sed 's#/#_#g; s#\.pl$##')" "$f"
  done < "$OUT/rerun-files.txt"
fi

[ "${LEDGER:-1}" = 0 ] && { echo "sytest: results in $OUT (ledger not updated)"; exit 0; }
exec "$ROOT/node_modules/.bin/bun" "$HERE/ledger.ts" "$OUT" "$ROOT/docs/sytest.md"
