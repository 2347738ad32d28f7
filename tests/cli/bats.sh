#!/bin/sh
# Run every bats file of the CLI suite as one TAP stream.
set -u
src=${VCI_SRCDIR:-.}
exec "${BATS:-bats}" --tap "$src"/tests/cli/*.bats
