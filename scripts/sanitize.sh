#!/usr/bin/env bash
# Builds llama.cpp, ggml and the addon with AddressSanitizer +
# UndefinedBehaviorSanitizer (LeakSanitizer included) into build/asan, then
# runs the test suite and the quick reliability harness against that build
# (ASan + UBSan), then load/generate/dispose cycles under LeakSanitizer.
#
#   npm run sanitize                 # build + tests + quick harness
#   npm run sanitize -- --build-only
#   npm run sanitize -- test/model   # build + only these vitest paths (no harness) + the leak pass
#
# Node is not instrumented, so the ASan runtime is preloaded (LD_PRELOAD) and
# the addon is picked with LLAMA_GENERATE_BINARY. Every sanitizer report goes
# to build/asan/reports/ (one file per process); the script fails when any
# report names an error, and prints them. docs/reliability.md lists what the
# last run found. Needs clang 16 (the CI image installs it); ~10 min to build
# on 2 cores, the test suite runs ~3x slower than usual.
set -euo pipefail
cd "$(dirname "$0")/.."

CC=${CC:-clang-16}
CXX=${CXX:-clang++-16}
OUT=build/asan
REPORTS="$PWD/$OUT/reports"
FLAGS="-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer -shared-libasan -g -O1"

build_only=0
paths=()
for arg in "$@"; do
  case "$arg" in
    --build-only) build_only=1 ;;
    *) paths+=("$arg") ;;
  esac
done

CC=$CC CXX=$CXX node scripts/build-native.js --out "$OUT" \
  --CDLLAMA_GENERATE_CPU_VARIANTS=OFF \
  "--CDCMAKE_C_FLAGS=$FLAGS" "--CDCMAKE_CXX_FLAGS=$FLAGS" \
  "--CDCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined -shared-libasan" \
  "--CDCMAKE_MODULE_LINKER_FLAGS=-fsanitize=address,undefined -shared-libasan"
[ "$build_only" = 1 ] && exit 0

runtime=$($CC -print-file-name=libclang_rt.asan-x86_64.so)
rm -rf "$REPORTS" && mkdir -p "$REPORTS"
export LLAMA_GENERATE_BINARY="$PWD/$OUT/Release/llama_generate.node"
# V8 installs its own signal handlers; its process-lifetime allocations are not ours.
ASAN_COMMON="log_path=$REPORTS/asan:allow_user_segv_handler=1:handle_segv=0:detect_odr_violation=0:malloc_context_size=8:fast_unwind_on_malloc=1"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$REPORTS/ubsan:suppressions=$PWD/scripts/sanitize/ubsan.supp"
export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitize/lsan.supp:print_suppressions=0"

status=0
# 1. ASan + UBSan over the tests (and the quick harness). Leak checking at the
#    exit of every test process would list Node's own never-freed tables and
#    crashes LeakSanitizer's tracer in some of them, so it is step 2's job.
export ASAN_OPTIONS="detect_leaks=0:$ASAN_COMMON"
if [ ${#paths[@]} -gt 0 ]; then
  LD_PRELOAD="$runtime" npx vitest run "${paths[@]}" || status=$?
else
  LD_PRELOAD="$runtime" npx vitest run || status=$?
  LD_PRELOAD="$runtime" npm run test:reliability -- --quick || status=$?
fi
# 2. LeakSanitizer over load/context/generate/state/dispose cycles in one process.
export ASAN_OPTIONS="detect_leaks=1:$ASAN_COMMON"
LD_PRELOAD="$runtime" node scripts/sanitize/leak-cycles.js || status=$?

found=$(grep -l -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|LeakSanitizer has encountered a fatal error" "$REPORTS"/* 2>/dev/null || true)
if [ -n "$found" ]; then
  echo "sanitizer reports:" >&2
  for f in $found; do echo "== $f" >&2; head -60 "$f" >&2; done
  exit 1
fi
echo "sanitizers: no reports ($(ls "$REPORTS" | wc -l) files checked)"
exit "$status"
