#!/usr/bin/env bash
# Sets up (scripts/setup.sh), then runs every test: the lit suite and the
# GoogleTest unit tests, through CTest; then builds everything again with
# AddressSanitizer and UndefinedBehaviorSanitizer into build-asan/ and runs
# the whole suite there (scripts/check-sanitizers.sh). NDR_SANITIZERS=0 skips
# that second stage.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure
if [[ ${NDR_SANITIZERS:-1} != 0 ]]; then
  scripts/check-sanitizers.sh
fi
