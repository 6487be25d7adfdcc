#!/usr/bin/env bash
# Writes OUT, a command that runs Debian sid's perf 7 (libdw unwinding) on this system, building
# the sid root first if needed (Scripts/lib/sid-root.sh). .ci/run passes OUT to Scripts/test.sh
# in PERFTRAMPOLINE_EXTRA_PERFS, so that every suite that records with perf runs against both.
#   Scripts/sid-perf.sh OUT      (root: $PERFTRAMPOLINE_SID_ROOT, default /var/tmp/perftrampoline-sid)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: Scripts/sid-perf.sh OUT}"
source Scripts/lib/sid-root.sh
root="${PERFTRAMPOLINE_SID_ROOT:-/var/tmp/perftrampoline-sid}"
sid_root_ensure "$root"
sid_perf_wrapper "$root" "$out"
