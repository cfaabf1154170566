#!/usr/bin/env bash
# Installs what QaaS needs on a fresh Debian machine of this kind, and nothing that is already there.
# Idempotent. Usage: scripts/install-prerequisites.sh [--for-tests]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for_tests=0; [ "${1:-}" = "--for-tests" ] && for_tests=1

log() { echo "qaas-setup: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

command -v dotnet >/dev/null || { log "the .NET 10 SDK is required (dotnet not on PATH)"; exit 1; }
command -v npm >/dev/null || { log "npm is required (Node.js 20+)"; exit 1; }

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v runuser >/dev/null || missing+=(util-linux)
if [ "$for_tests" = 1 ]; then
  [ -d /usr/share/libonnx-testdata/data ] || missing+=(libonnx-testdata)
  # Calibration images of rendered text for the OCR models (tests call /usr/bin/convert by path).
  [ -x /usr/bin/convert ] || missing+=(imagemagick)
  [ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
  # The report.html tests drive Debian's browser through Playwright (its own browser download does not work here).
  [ -x /usr/bin/chromium ] || missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  log "installing with apt: ${missing[*]}"
  # The service runs its own private cluster; the distribution's default cluster is not wanted.
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    as_root mkdir -p /etc/postgresql-common
    [ -f /etc/postgresql-common/createcluster.conf ] || echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"$root/scripts/fetch-assets.sh"

log "restoring NuGet packages"
dotnet restore "$root/api.sln" -v q --nologo >/dev/null
