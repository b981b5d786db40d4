#!/usr/bin/env bash
# Sets up (scripts/setup.sh), then runs every test: the lit suite and the
# GoogleTest unit tests, through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure
