#!/usr/bin/env bats
# Placeholder: the CLI conventions suite.
@test "suite runs" {
  true
}
