import Testing

// Tags that Scripts/test.sh selects suites and tests by (through Scripts/tagged-tests.py, which
// reads them from the sources: this toolchain's `swift test --filter` has no `tag:` prefix yet).
extension Tag {
    /// Behaviour that depends on the trampoline backend: run again under
    /// `PERFTRAMPOLINE_BACKEND=c` and `=ffi`.
    @Tag public static var backendSensitive: Self
    /// Forks, spawns or runs external tools: left out of the sanitizer passes (the sanitizer
    /// runtimes are not fork-safe in a multithreaded process).
    @Tag public static var forksOrSpawns: Self
    /// Records with real perf (or runs a host that perf records): run again against every perf
    /// in `PERFTRAMPOLINE_EXTRA_PERFS` (CI: Debian sid's perf 7, whose unwinder is libdw).
    @Tag public static var recordsWithPerf: Self
    /// Hundreds of thousands of stubs: minutes under a sanitizer for nothing it could find.
    @Tag public static var soak: Self
}
