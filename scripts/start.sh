#!/usr/bin/env bash
# Installs what is missing, builds and starts QaaS in the foreground: API + worker with an embedded
# PostgreSQL (unless ConnectionStrings__Qaas is set). Ctrl-C / SIGTERM stops it cleanly.
# Arguments are passed on, e.g. scripts/start.sh --role worker --pool gpu
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-prerequisites.sh"
echo "qaas-setup: building" >&2
dotnet build "$root/src/Qaas.Api/Qaas.Api.csproj" -c Release -v q --nologo -clp:ErrorsOnly
export QAAS_ORT_LIBRARY="${QAAS_ORT_LIBRARY:-$root/.cache/onnxruntime/libonnxruntime.so.1}"
export QAAS_DATA_DIR="${QAAS_DATA_DIR:-$root/.qaas-data}"
cd "$root"
exec dotnet "$root/src/Qaas.Api/bin/Release/net10.0/Qaas.Api.dll" "$@"
