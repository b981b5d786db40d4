# Sourced by scripts/check-sanitizers.sh: the environment the sanitizer build
# (build-asan/, NDR_SANITIZE) runs its tests in. To rerun part of it:
#   . scripts/sanitizer-env.sh && ctest --test-dir build-asan -R NAME
# Options given before are kept after these (later ones win).
ndr_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Reports name files and lines.
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-22/bin/llvm-symbolizer
# Leaks are findings (detect_leaks), with the suppressions of allocations in
# upstream code in scripts/lsan.supp. allocator_may_return_null: a request
# larger than ASan serves (1 TiB) returns NULL, as malloc would, instead of
# ending the process; the runtime reports that as NDR_ERR_NOMEM, and tests
# check it. The initialization-order and use-after-return checks are off by
# default.
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$ndr_root/scripts/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# The build makes every UBSan check fatal (-fno-sanitize-recover=all);
# halt_on_error says the same for anything built otherwise.
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
unset ndr_root
