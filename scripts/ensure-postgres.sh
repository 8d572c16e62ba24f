#!/usr/bin/env bash
# Make sure a PostgreSQL server answers for the test suite's PostgreSQL half.
# It uses HERALD_TEST_POSTGRES_URL when set; otherwise the local server at 127.0.0.1:5432, which this
# script starts (and installs from the distribution's packages, as root) when it is missing.
set -euo pipefail

if [ -n "${HERALD_TEST_POSTGRES_URL:-}" ]; then
  exit 0
fi

ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }

if ready; then
  exit 0
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-postgres: installing PostgreSQL from the distribution's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "ensure-postgres: no PostgreSQL here and no way to install it; the PostgreSQL tests will say why" >&2
    exit 0
  fi
fi

version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1 || true)
if [ -n "$version" ]; then
  conf=/etc/postgresql/$version/main
  # Trust local TCP connections for the postgres user, as the test suite expects.
  if [ -f "$conf/pg_hba.conf" ] && ! grep -q "herald-tests" "$conf/pg_hba.conf"; then
    sed -i '1i host all postgres 127.0.0.1/32 trust # herald-tests' "$conf/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi

for _ in $(seq 1 30); do
  ready && exit 0
  sleep 1
done
echo "ensure-postgres: PostgreSQL did not come up on 127.0.0.1:5432" >&2
exit 0
