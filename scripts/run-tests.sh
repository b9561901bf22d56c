#!/usr/bin/env bash
# Runs the whole suite on SQLite, then on PostgreSQL, and prints one summary.
set -uo pipefail
cd "$(dirname "$0")/.."
pytest=.venv/bin/pytest
postgres_url="${POSTGRES_URL:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kycuong}}"

echo "=== Test suite on SQLite ==="
DATABASE_URL="sqlite:///var/test.sqlite3" $pytest "$@"
sqlite_status=$?

postgres_status=0
postgres_note="passed"
if .venv/bin/python - "$postgres_url" <<'PY'
import sys, psycopg
from urllib.parse import urlsplit
url = urlsplit(sys.argv[1])
try:
    psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username or "postgres",
                    password=url.password, dbname="postgres", connect_timeout=5).close()
except Exception as error:
    print(f"PostgreSQL does not answer at {url.hostname}:{url.port or 5432}: {error}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "=== Test suite on PostgreSQL ==="
  DATABASE_URL="$postgres_url" $pytest "$@"
  postgres_status=$?
  [ $postgres_status -ne 0 ] && postgres_note="FAILED"
else
  postgres_status=1
  postgres_note="NOT RUN: NO POSTGRESQL ANSWERED"
fi

[ $sqlite_status -ne 0 ] && sqlite_note="FAILED" || sqlite_note="passed"
echo
echo "=== Summary ==="
echo "SQLite:     $sqlite_note"
echo "PostgreSQL: $postgres_note"
if [ $sqlite_status -ne 0 ] || [ $postgres_status -ne 0 ]; then exit 1; fi
