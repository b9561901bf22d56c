#!/usr/bin/env bash
# Installs the Debian packages Kỷ Cương needs, only those missing.
#   setup-system.sh            what the product needs (gettext to compile translations, fonts for PDFs,
#                              pg_dump and pg_restore for `kycuong backup` and `restore` on PostgreSQL)
#   setup-system.sh --tests    also what the test suite needs (Debian's chromium for browser tests)
#   setup-system.sh --bench    also what the benchmarks need (wrk drives the public rating form)
set -euo pipefail
packages=(gettext fonts-dejavu-core fonts-noto-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b postgresql-client)
[ "${1:-}" = "--tests" ] && packages+=(chromium)
[ "${1:-}" = "--bench" ] && packages+=(wrk)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
