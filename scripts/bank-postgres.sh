#!/usr/bin/env bash
# Starts a private PostgreSQL cluster for a bank host (docs/bank.md §14): initdb into <dir>/pg on first use, then
# `postgres` in the foreground on a Unix socket in <dir>/sock (no TCP listener), as the `postgres` user when run as
# root (PostgreSQL refuses root). Prints the connection string for `bankctl init --db`. Stop it with Ctrl-C.
#   scripts/bank-postgres.sh <dir>
set -euo pipefail
dir=${1:?usage: scripts/bank-postgres.sh <dir>}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[[ -x "$bin/postgres" ]] || { echo "bank-postgres: PostgreSQL not found; run scripts/setup-deps.sh" >&2; exit 1; }
mkdir -p "$dir/pg" "$dir/sock"
dir=$(cd "$dir" && pwd)
as=()
if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$dir/pg" "$dir/sock"
    chmod o+x "$dir"
    as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
if [[ ! -f "$dir/pg/PG_VERSION" ]]; then
    # Local trust on the socket only: the socket folder is the access control (no TCP listener).
    "${as[@]}" "$bin/initdb" -D "$dir/pg" -A trust -U bank -E UTF8 >/dev/null
fi
echo "bank-postgres: conninfo \"host=$dir/sock port=5432 user=bank dbname=postgres\""
exec "${as[@]}" "$bin/postgres" -D "$dir/pg" -k "$dir/sock" -c listen_addresses= -p 5432
