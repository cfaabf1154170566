#!/usr/bin/env bash
# Installs what is missing and runs every test of the solution (real PostgreSQL, real ONNX Runtime).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-prerequisites.sh" --for-tests
export QAAS_ORT_LIBRARY="${QAAS_ORT_LIBRARY:-$root/.cache/onnxruntime/libonnxruntime.so.1}"
log="$(mktemp)"
set +e
dotnet test "$root/api.sln" -c Release --nologo -v q 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# One closing line over all test projects: "N passed, N failed, N skipped".
awk '/^(Passed|Failed)!/ {
       for (i = 1; i <= NF; i++) { k = $i; v = $(i+1); gsub(/[^0-9]/, "", v)
         if (k == "Failed:") f += v; if (k == "Passed:") p += v; if (k == "Skipped:") s += v } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$rc"
