#!/usr/bin/env bash
# bench/run.sh runs bench/peers/setup.sh if present; the work is in setup_peers.sh.
exec "$(dirname "${BASH_SOURCE[0]}")/setup_peers.sh" "$@"
