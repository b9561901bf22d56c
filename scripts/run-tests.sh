#!/usr/bin/env bash
# Runs the whole suite on SQLite and on PostgreSQL and prints one summary. The two runs go side by side (each
# is one Python process, so a second core serves the other): SQLite's output streams, PostgreSQL's
# goes to var/test-postgresql.log and is printed once SQLite's run is over.
# TESTS_ONE_AT_A_TIME=1 runs them one after the other.
set -uo pipefail
cd "$(dirname "$0")/.."
pytest=.venv/bin/pytest
postgres_url="${POSTGRES_URL:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kycuong}}"
postgres_log=var/test-postgresql.log
mkdir -p var

postgres_answers() {
  .venv/bin/python - "$postgres_url" <<'PY'
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
}

run_postgres() {
  KYCUONG_RUNNING_TEST_FILE="$PWD/var/test-running-postgresql.txt" DATABASE_URL="$postgres_url" $pytest "$@"
}

# A run that ended without its summary (stopped by the hang watchdog) left the name of the test it was in.
say_where_it_stopped() {
  if [ -s "$1" ]; then
    echo "The $2 run stopped while this test was running: $(cat "$1")"
    rm -f "$1"
  fi
}
rm -f var/test-running-sqlite.txt var/test-running-postgresql.txt

postgres_pid=""
postgres_ran=0
if postgres_answers; then
  postgres_ran=1
  if [ "${TESTS_ONE_AT_A_TIME:-0}" != 1 ]; then
    echo "=== Test suite on PostgreSQL: started beside SQLite, output in $postgres_log ==="
    run_postgres "$@" >"$postgres_log" 2>&1 &
    postgres_pid=$!
  fi
fi

echo "=== Test suite on SQLite ==="
KYCUONG_RUNNING_TEST_FILE="$PWD/var/test-running-sqlite.txt" DATABASE_URL="sqlite:///var/test.sqlite3" $pytest "$@"
sqlite_status=$?
say_where_it_stopped var/test-running-sqlite.txt SQLite

postgres_status=1
postgres_note="NOT RUN: NO POSTGRESQL ANSWERED"
if [ $postgres_ran = 1 ]; then
  if [ -n "$postgres_pid" ]; then
    echo
    echo "=== Test suite on PostgreSQL ==="
    # What it printed so far, then the rest as it comes.
    tail -n +1 -f --pid="$postgres_pid" "$postgres_log"
    wait "$postgres_pid"
    postgres_status=$?
  else
    echo "=== Test suite on PostgreSQL ==="
    run_postgres "$@"
    postgres_status=$?
  fi
  say_where_it_stopped var/test-running-postgresql.txt PostgreSQL
  [ $postgres_status -ne 0 ] && postgres_note="FAILED" || postgres_note="passed"
fi

[ $sqlite_status -ne 0 ] && sqlite_note="FAILED" || sqlite_note="passed"
echo
echo "=== Summary ==="
echo "SQLite:     $sqlite_note"
echo "PostgreSQL: $postgres_note"
if [ $sqlite_status -ne 0 ] || [ $postgres_status -ne 0 ]; then exit 1; fi
