#!/usr/bin/env bash
# The test command: installs what the tests need (perf, libffi headers) when missing, then
# builds and runs the whole suite. Extra arguments go to `swift test` (e.g. --filter Perf).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if ! command -v perf >/dev/null 2>&1 || ! perf --version >/dev/null 2>&1; then missing+=(linux-perf); fi
if [ ! -e /usr/include/ffi.h ] && ! compgen -G '/usr/include/*/ffi.h' >/dev/null; then missing+=(libffi-dev); fi
if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "warning: missing ${missing[*]}; install them (apt-get install -y ${missing[*]}) for the full suite" >&2
    fi
fi

echo "==> swift build"
swift build --build-tests
echo "==> swift test"
swift test "$@"

# The same behaviour under the other backends (issue 6): the library's unit suite and the
# toy VM's differential, map, fork and fault suites, with the backend forced.
for backend in c ffi; do
    echo "==> swift test (PERFTRAMPOLINE_BACKEND=$backend)"
    PERFTRAMPOLINE_BACKEND=$backend swift test --skip-build \
        --filter 'PerfSupportTests|CodeArenaTests|MapFormatTests|DifferentialTests|PerfMapTests|ForkTests|FaultInjectionTests|LanguageTests'
done

# Thread-sanitizer pass over the library's tests (CI sets PERFTRAMPOLINE_SANITIZE=thread).
# Excluded there, and run above: tests that fork or spawn processes (TSan's runtime does not
# support fork/clone in a multithreaded process: children hang, or TSan's own CHECK fails in
# ForkChildAfter) and the 100,000-stub test (single-threaded; ~90 s under TSan for nothing it
# could find; likewise the 1,000,000-stub soak). Swift's crash backtracer is off (it can hang holding the test's output pipe) and
# the step is time-bounded, so a TSan failure fails CI instead of stalling it.
if [[ " ${PERFTRAMPOLINE_SANITIZE:-} " == *" thread "* ]]; then
    echo "==> swift test --sanitize=thread (library)"
    swift build --build-tests --sanitize=thread --scratch-path .build-tsan
    TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" SWIFT_BACKTRACE=enable=no \
        timeout 600 swift test --skip-build --sanitize=thread --scratch-path .build-tsan --filter PerfTrampolineTests \
        --skip 'forkWhileAnotherThreadRegisters|hundredThousandStubs|millionCodeObjects|AssemblyPortabilityTests'
fi

# Address-sanitizer pass over the library's tests (CI: PERFTRAMPOLINE_SANITIZE="thread address").
# Leak reports from XCTest's own runner are suppressed (Scripts/lsan-suppressions.txt).
if [[ " ${PERFTRAMPOLINE_SANITIZE:-} " == *" address "* ]]; then
    echo "==> swift test --sanitize=address (library)"
    swift build --build-tests --sanitize=address --scratch-path .build-asan
    LSAN_OPTIONS="suppressions=$PWD/Scripts/lsan-suppressions.txt ${LSAN_OPTIONS:-}" SWIFT_BACKTRACE=enable=no \
        timeout 900 swift test --skip-build --sanitize=address --scratch-path .build-asan --filter PerfTrampolineTests \
        --skip 'millionCodeObjects|AssemblyPortabilityTests'
fi
