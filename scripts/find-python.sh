#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 interpreter, or fails with a clear message.
# Looks on PATH first, then in pyenv's versions (this is how many Debian servers keep newer Pythons).
set -euo pipefail

suitable() {
  "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

candidates=()
for name in python3.14 python3.13 python3.12 python3 python; do
  if path=$(command -v "$name" 2>/dev/null); then candidates+=("$path"); fi
done
pyenv_root="${PYENV_ROOT:-}"
if [ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1; then pyenv_root=$(pyenv root 2>/dev/null || true); fi
[ -z "$pyenv_root" ] && pyenv_root="$HOME/.pyenv"
for dir in /usr/local/bin /opt/python*/bin "$pyenv_root"/versions/3.1[2-9]*/bin; do
  for name in python3.14 python3.13 python3.12; do
    [ -x "$dir/$name" ] && candidates+=("$dir/$name")
  done
done

for candidate in "${candidates[@]}"; do
  # pyenv shims may point at an older version; resolve the real interpreter.
  real=$("$candidate" -c 'import sys; print(sys.executable)' 2>/dev/null || true)
  if [ -n "$real" ] && suitable "$real"; then
    echo "$real"
    exit 0
  fi
done

echo "Kỷ Cương needs Python 3.12 or newer, and none was found on PATH or in pyenv." >&2
echo "Install one (for example: pyenv install 3.13, or your distribution's python3.12 package) and run again." >&2
exit 1
