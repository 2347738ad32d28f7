#!/bin/sh
# The SQLite and PostgreSQL store schemas define the same tables, columns
# and indexes in every version (tests/unit/schema-parity.py says what may
# differ by dialect). TAP output.
set -u
src=${VCI_SRCDIR:-.}
exec "${PYTHON3:-/usr/bin/python3}" "$src/tests/unit/schema-parity.py" \
	"$src/src/store/schema.sqlite.sql" "$src/src/store/schema.pg.sql"
