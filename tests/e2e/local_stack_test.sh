#!/usr/bin/env bash
# deploy/local/gofer-local: `up` starts Postgres, Redis and the six services and each reports
# SERVING; `status` shows them; `down` stops every process (each service logs its drain) and
# a second `up` on the same directory works again (data kept).
set -euo pipefail
root=$1
build=$2
dir=$(mktemp -d /tmp/gofer-local-test.XXXXXX)
export GOFER_BUILD_DIR=$build
local=("$root/deploy/local/gofer-local")
cleanup() { "${local[@]}" down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"${local[@]}" up --dir "$dir" --ports auto | tee "$dir/up.out"
[ "$(grep -c ' SERVING$' "$dir/up.out")" = 6 ] || fail "expected 6 services SERVING after up"
"${local[@]}" status --dir "$dir" >/dev/null || fail "status reported a service not SERVING"

pids=$(cat "$dir"/run/*.pid)
"${local[@]}" down --dir "$dir"
for pid in $pids; do
  ! kill -0 "$pid" 2>/dev/null || fail "process $pid still running after down"
done
for svc in api-gateway scheduler run-queue extension-manager object-store secret-store; do
  grep -q "stopped after" "$dir/logs/$svc.log" || fail "$svc did not drain cleanly"
done
! "${local[@]}" status --dir "$dir" >/dev/null 2>&1 || fail "status succeeded after down"

"${local[@]}" up --dir "$dir" --ports auto >/dev/null || fail "second up on the same data failed"
grep -q "schema events at version 1 (0 migrations applied now)" "$dir/logs/api-gateway.log" ||
  fail "second start re-applied migrations"
echo "local stack test passed"
