import Foundation
import Testing

/// Issue 13: the installed artifacts (`Scripts/install.sh PREFIX`), used the way a C
/// interpreter built with make uses them: plain gcc, pkg-config, no SwiftPM. `Scripts/test.sh`
/// installs into a scratch prefix and passes it in `PERFTRAMPOLINE_INSTALL_PREFIX`; without it
/// the suite skips visibly (a failure under `PERFTRAMPOLINE_REQUIRE_PERF=1`, as in CI).
@Suite(.serialized, .tags(.recordsWithPerf)) struct InstalledLibraryTests {
    static let prefix = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_INSTALL_PREFIX"]
    static let example = Harness.packageRoot.appendingPathComponent("Examples/CEmbedding/main.c").path
    static let chain = ["tokenize", "parse", "main_loop"].map { "cdemo::\($0):Examples/CEmbedding/main.c" }

    /// The prefix holds `Scripts/install.sh`'s default, Embedded Swift build, unless
    /// `PERFTRAMPOLINE_INSTALL_RUNTIME=full` (`--runtime full`; Scripts/test.sh runs these suites
    /// against both).
    static let embeddedRuntime = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_INSTALL_RUNTIME"] != "full"

    /// The C toolchain for the installed library's architecture: this machine's, or, with
    /// `PERFTRAMPOLINE_CROSS_PREFIX` (Scripts/test-aarch64.sh sets `aarch64-linux-gnu-`), Debian's
    /// cross gcc and binutils and clang with `--target`; the programs then run emulated
    /// (binfmt_misc).
    enum Toolchain {
        static let crossPrefix = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_CROSS_PREFIX"] ?? ""
        static var isCross: Bool { !crossPrefix.isEmpty }
        static var gcc: String { "/usr/bin/\(crossPrefix)gcc" }
        static var readelf: String { "/usr/bin/\(crossPrefix)readelf" }
        /// The driver and, when cross, its target.
        static var clang: [String] { [Harness.which("clang") ?? "clang"] + (isCross ? ["--target=\(crossPrefix.dropLast())"] : []) }
        /// The hardening a distribution builds with: CET landing pads on x86_64, BTI and return
        /// address signing on aarch64 (the trampolines must be valid targets under both).
        static var branchProtection: String {
            crossPrefix.hasPrefix("aarch64") ? "-mbranch-protection=standard" : "-fcf-protection"
        }
    }

    static func installed() -> String? {
        if let prefix, FileManager.default.fileExists(atPath: "\(prefix)/lib/pkgconfig/perftrampoline.pc") { return prefix }
        let message = "SKIP InstalledLibraryTests: PERFTRAMPOLINE_INSTALL_PREFIX is not an installed prefix (Scripts/test.sh sets it)"
        if Perf.required { Issue.record("\(message), and PERFTRAMPOLINE_REQUIRE_PERF=1") } else { print(message) }
        return nil
    }

    /// `pkg-config --cflags --libs PACKAGE` against the installed prefix, split into arguments.
    static func flags(_ package: String, prefix: String) throws -> [String] {
        let outcome = try Harness.run("/usr/bin/pkg-config", ["--cflags", "--libs", package],
                                      environment: ["PKG_CONFIG_PATH": "\(prefix)/lib/pkgconfig", "PATH": "/usr/bin:/bin"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return outcome.stdout.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// Builds the C example with gcc and `-fcf-protection` (aarch64: `-mbranch-protection=standard`),
    /// as the issue's user would.
    static func build(_ package: String, prefix: String, in dir: String) throws -> String {
        let output = "\(dir)/cdemo-\(package)"
        let gcc = try Harness.run(Toolchain.gcc, [Toolchain.branchProtection, "-Wall", "-Werror", "-O2", example, "-o", output]
                                  + flags(package, prefix: prefix))
        #expect(gcc.status == 0, "\(gcc.stderr)")
        return output
    }

    @Test(arguments: ["perftrampoline", "perftrampoline-static"])
    func plainGccLinksItAndNoSwiftLibraryIsNeeded(package: String) throws {
        guard let prefix = Self.installed() else { return }
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let program = try Self.build(package, prefix: prefix, in: dir)
        if Toolchain.isCross {
            // ldd runs the target's loader: the program's own NEEDED entries instead (the runs
            // below show that they are found).
            let readelf = try Harness.run(Toolchain.readelf, ["-d", program])
            #expect(readelf.status == 0 && !readelf.stdout.lowercased().contains("swift"), "\(readelf.stdout)")
        } else {
            let ldd = try Harness.run("/usr/bin/ldd", [program])
            #expect(ldd.status == 0)
            #expect(!ldd.stdout.lowercased().contains("swift"), "\(ldd.stdout)")
            #expect(!ldd.stdout.contains("not found"), "\(ldd.stdout)")
        }
        // libperftrampoline.so itself: no RUNPATH into a toolchain, only system libraries.
        if package == "perftrampoline" {
            let readelf = try Harness.run(Toolchain.readelf, ["-d", "\(prefix)/lib/libperftrampoline.so"])
            #expect(!readelf.stdout.contains("/opt/swift") && !readelf.stdout.lowercased().contains("swift"), "\(readelf.stdout)")
            let needed = readelf.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
                .compactMap { $0.split(separator: "[").last?.dropLast() }.map(String.init)
                .filter { !$0.hasPrefix("ld-linux") }.sorted()
            if Self.embeddedRuntime {
                // Built with Embedded Swift (issue 26): libc only, and small.
                #expect(needed == ["libc.so.6"], "\(needed)")
                let size = (try? FileManager.default.attributesOfItem(atPath: "\(prefix)/lib/libperftrampoline.so")[.size] as? Int) ?? .max
                #expect(size <= 300 * 1024, "\(size) bytes")
            } else {
                // The C runtime, and libstdc++/libgcc_s for the Swift runtime (written in C++).
                #expect(needed == ["libc.so.6", "libgcc_s.so.1", "libm.so.6", "libstdc++.so.6"], "\(needed)")
            }
        }
        let plain = try Harness.run(program, ["3"])
        let profiled = try Harness.run(program, ["-Xperf", "3"])
        defer { (Harness.reportedPids(plain) + Harness.reportedPids(profiled)).forEach(Harness.removeFiles(of:)) }
        #expect(plain.stdout.contains("total 8999991 calls 9 mode 0"))
        #expect(profiled.stdout.contains("total 8999991 calls 9 mode 1"), "\(profiled.stdout)\(profiled.stderr)")
    }

    /// Issue 14: the fault seam is compiled out of release builds: the installed (release)
    /// library ignores PERFTRAMPOLINE_FAULT and profiles normally.
    @Test func releaseBuildsIgnoreTheFaultSeam() throws {
        guard let prefix = Self.installed() else { return }
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let program = try Self.build("perftrampoline", prefix: prefix, in: dir)
        for fault in ["open", "mmap", "mprotect", "write", "tmp"] {
            let outcome = try Harness.run(program, ["-Xperf", "1"], environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_FAULT": fault]))
            defer { Harness.reportedPids(outcome).forEach(Harness.removeFiles(of:)) }
            #expect(outcome.stdout.contains("mode 1"), "PERFTRAMPOLINE_FAULT=\(fault): \(outcome.stdout)\(outcome.stderr)")
            #expect(outcome.stderr.isEmpty)
            #expect(Harness.mapLines(Harness.reportedPids(outcome).last ?? -1)?.count == 3)
        }
    }

    /// perf -g (frame pointers, perf map), and perf's DWARF unwinder through a jitdump, on the
    /// gcc-built program, linked against the shared library and against the static archive.
    @Test(arguments: ["perftrampoline", "perftrampoline-static"], ["-Xperf", "-Xperf_jit"])
    func perfNamesTheWholeChain(package: String, flag: String) throws {
        guard Perf.available(), let prefix = Self.installed() else { return }
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let program = try Self.build(package, prefix: prefix, in: dir)
        let samples = try Perf.profile(program, [flag, "300"], jitdump: flag == "-Xperf_jit", in: dir).samples
        let named = samples.map { $0.frames(prefixed: "cdemo::") }
        let naming = named.filter { $0.first == Self.chain[0] }
        let complete = naming.filter { $0 == Self.chain }.count
        #expect(naming.count >= 50, "\(naming.count) samples name tokenize")
        #expect(Double(complete) >= 0.99 * Double(naming.count), "\(complete) of \(naming.count) full chains")
    }

    /// Issue 25: the C API 1.4 as a host uses it, built with gcc and clang at -O2: a thread
    /// spinning on perftrampoline_is_active() sees another thread switch profiling on and off
    /// (a folded read would spin forever); perftrampoline_call_lazy asks for a name once per
    /// code object and never while off, and a name longer than the first buffer arrives whole;
    /// perftrampoline_configure_environment ignores the script's argv.
    @Test(arguments: ["gcc", "clang"])
    func capi14(compiler: String) throws {
        guard let prefix = Self.installed() else { return }
        let driver = compiler == "gcc" ? [Toolchain.gcc] : Toolchain.clang
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let program = "\(dir)/capi_1_4"
        let build = try Harness.run(driver[0], Array(driver.dropFirst()) + ["-O2", "-Wall", "-Wextra", "-Werror", "-pthread",
                                             Harness.programs.appendingPathComponent("capi_1_4.c").path, "-o", program]
                                    + (try Self.flags("perftrampoline", prefix: prefix)))
        #expect(build.status == 0, "\(build.stderr)")

        let flag = try Harness.run(program, ["flag"], environment: Harness.cleanEnvironment(), timeLimit: 30)
        defer { Harness.removeFiles(of: flag.pid) }
        #expect(flag.stdout == "seen on 1 off 1\n", "status \(flag.status): \(flag.stdout)")

        let lazy = try Harness.run(program, ["lazy"], environment: Harness.cleanEnvironment())
        let pid = Int32(ForkTests.value("pid", in: lazy.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(lazy.status == 0, "\(lazy.stderr)")
        #expect(ForkTests.value("writer calls off", in: lazy.stdout) == "0")
        #expect(ForkTests.value("writer calls", in: lazy.stdout) == "4", "3 names, the long one asked for twice")
        #expect(ForkTests.value("sum", in: lazy.stdout) == "12000")
        let longName = "capi::long_" + String(repeating: "x", count: 289)
        #expect(Harness.mapNames(pid) == ["capi::function_0", "capi::function_1", longName])

        // The lazy name across 8 threads entering the same 64 code objects at once.
        let threads = try Harness.run(program, ["threads"], environment: Harness.cleanEnvironment(), timeLimit: 60)
        let threadsPid = Int32(ForkTests.value("pid", in: threads.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: threadsPid) }
        #expect(threads.status == 0, "\(threads.stderr)")
        #expect(ForkTests.value("writer calls min", in: threads.stdout) == "1 max 1", "\(threads.stdout)")
        // Each call returns 1 + index: 8 threads × 200 rounds × (64 + 0 + 1 + … + 63). (Steps, and
        // explicit types: Swift 6.2's type checker gives up on the one-line form.)
        let perRound: Int = 64 + 63 * 64 / 2
        let expectedSum: Int = 8 * 200 * perRound
        let sum: String? = ForkTests.value("sum", in: threads.stdout)
        #expect(sum == String(expectedSum))
        let sharedNames: [String] = (0..<64).map { (index: Int) -> String in "capi::shared_\(index)" }
        let namedShared: [String] = Harness.mapNames(threadsPid)
        #expect(namedShared.sorted() == sharedNames.sorted())

        let env = try Harness.run(program, ["env", "-Xperf"], environment: Harness.cleanEnvironment())
        defer { Harness.removeFiles(of: Int32(ForkTests.value("pid", in: env.stdout) ?? "") ?? -1) }
        #expect(ForkTests.value("mode", in: env.stdout) == "0", "argv ignored: \(env.stdout)")
        let envOn = try Harness.run(program, ["env"], environment: Harness.cleanEnvironment(["PERFSUPPORT": "1"]))
        defer { Harness.removeFiles(of: Int32(ForkTests.value("pid", in: envOn.stdout) ?? "") ?? -1) }
        #expect(ForkTests.value("mode", in: envOn.stdout) == "1", "\(envOn.stdout)")
    }

    /// Issue 24: the host's own JIT appends to the perf map before, between and after the
    /// library's entries (Programs/neighbours.c), in perf-map mode and across a switch from
    /// jitdump mode, and with the disk "full" (RLIMIT_FSIZE) for the library's second entry.
    /// Before: activation truncated the host's first line, the switch renamed a fresh map over
    /// it, and later host lines went to the unlinked file.
    @Test(arguments: ["perf", "jitdump"], [false, true])
    func theHostsOwnMapLinesSurvive(mode: String, fullDisk: Bool) throws {
        guard let prefix = Self.installed() else { return }
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let host = try Self.buildNeighbours(prefix: prefix, in: dir)
        let outcome = try Harness.run(host, ["host", mode] + (fullDisk ? ["fsize"] : []),
                                      environment: Harness.cleanEnvironment())
        let pid = Int32(ForkTests.value("pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0)
        #expect(ForkTests.value("sum", in: outcome.stdout) == "8", "profiling never changes a result")
        let ours = mode == "perf" ? ["jit_before", "c::first", "jit_between", "c::second", "jit_after"]
                                  : ["jit_before", "jit_between", "c::first", "c::second", "jit_after"]
        if fullDisk {
            #expect(Harness.mapNames(pid) == ours.filter { $0 != "c::second" })
            #expect(outcome.stderr.hasPrefix("perftrampoline: warning: perf support disabled: ")
                    && outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
        } else {
            #expect(Harness.mapNames(pid) == ours)
            #expect(outcome.stderr.isEmpty, "\(outcome.stderr)")
        }
    }

    /// Issue 24: two copies of the library in one process (a plugin linked to the shared
    /// library, another carrying the static archive) both name their functions in the one map.
    /// Before: the second was refused ("in use by another live process") and named nothing.
    @Test func twoCopiesInOneProcessShareTheMap() throws {
        guard let prefix = Self.installed() else { return }
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let host = try Self.buildNeighbours(prefix: prefix, in: dir)
        let outcome = try Harness.run(host, ["plugins", dir], environment: Harness.cleanEnvironment())
        let pid = Int32(ForkTests.value("pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0 && outcome.stderr.isEmpty, "\(outcome.stderr)")
        #expect(ForkTests.value("sum", in: outcome.stdout) == "82")
        #expect(Harness.mapNames(pid) == ["c::plugin_a", "c::plugin_b"])
    }

    /// Programs/neighbours.c as a host and as its two plugins (one per library artifact).
    static func buildNeighbours(prefix: String, in dir: String) throws -> String {
        let source = Harness.programs.appendingPathComponent("neighbours.c").path
        let builds: [(String, [String])] = [
            ("\(dir)/neighbours", ["-ldl"] + (try flags("perftrampoline", prefix: prefix))),
            ("\(dir)/plugin_a.so", ["-shared", "-fPIC", "-DPLUGIN=plugin_a"] + (try flags("perftrampoline", prefix: prefix))),
            ("\(dir)/plugin_b.so", ["-shared", "-fPIC", "-DPLUGIN=plugin_b", "-Wl,-Bsymbolic"]
                + (try flags("perftrampoline-static", prefix: prefix))),
        ]
        for (output, extra) in builds {
            let gcc = try Harness.run(Toolchain.gcc, ["-O2", "-Wall", "-Werror", source, "-o", output] + extra)
            #expect(gcc.status == 0, "\(gcc.stderr)")
        }
        return builds[0].0
    }

    /// Issue 24: a plugin loads the library with dlopen, installs the signal switch, and is
    /// unloaded; the signal must not then jump into unmapped code. The shared library is linked
    /// `-z nodelete` (Scripts/install.sh), so dlclose keeps it mapped and the handler valid.
    @Test func signalAfterDlcloseIsSafe() throws {
        guard let prefix = Self.installed() else { return }
        let (dir, source) = try Harness.writeTemporary("""
            #include <dlfcn.h>
            #include <signal.h>
            #include <stdio.h>
            int main(void) {
                void *library = dlopen("\(prefix)/lib/libperftrampoline.so", RTLD_NOW | RTLD_LOCAL);
                if (!library) { fprintf(stderr, "%s\\n", dlerror()); return 2; }
                int (*install)(int, const char *) = (int (*)(int, const char *))dlsym(library, "perftrampoline_install_signal_switch");
                if (!install || install(SIGUSR2, "perf") != 0) return 3;
                dlclose(library);
                raise(SIGUSR2);
                puts("survived");
                return 0;
            }

            """, name: "plugin.c")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gcc = try Harness.run(Toolchain.gcc, ["-Wall", "-Werror", source, "-o", "\(dir)/plugin", "-ldl"])
        #expect(gcc.status == 0, "\(gcc.stderr)")
        let outcome = try Harness.run("\(dir)/plugin", [], environment: Harness.cleanEnvironment(), timeLimit: 20)
        defer { Harness.removeFiles(of: outcome.pid) }
        #expect(outcome.status == 0, "status \(outcome.status): \(outcome.stderr)")
        #expect(outcome.stdout == "survived\n")
    }

    /// The installed header alone, in every language mode a host may use, warnings as errors.
    @Test(arguments: ["gcc", "clang"], ["-std=c99", "-std=c11", "-std=c++17"])
    func headerCompilesEverywhere(compiler: String, standard: String) throws {
        guard let prefix = Self.installed() else { return }
        let cxx = standard == "-std=c++17"
        let driver = compiler == "gcc" ? (cxx ? "/usr/bin/g++" : "/usr/bin/gcc")
            : (Harness.which(cxx ? "clang++" : "clang") ?? "clang")
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = "\(dir)/host.\(cxx ? "cpp" : "c")"
        try """
            #include <perftrampoline.h>
            static intptr_t evaluate(void *vm, void *code, intptr_t argument) { (void)vm; (void)code; return argument; }
            int main(int argc, char **argv) {
                perftrampoline_slot slot = PERFTRAMPOLINE_SLOT_INIT;
                int mode = perftrampoline_configure(argc, (const char *const *)argv);
                perftrampoline_stub stub = perftrampoline_stub_for(&slot, "x::main");
                intptr_t result = stub ? stub(0, 0, 1, evaluate) : evaluate(0, 0, 1);
                char status[64];
                (void)perftrampoline_status(status, sizeof status);
                return (int)result + (mode == PERFTRAMPOLINE_MODE_OFF ? 0 : 1) + (PERFTRAMPOLINE_VERSION >= 10100 ? 0 : 1);
            }

            """.write(toFile: source, atomically: true, encoding: .utf8)  // ends in a newline: clang 17's -pedantic C99 requires it
        let compile = try Harness.run(driver, [standard, "-Wall", "-Wextra", "-Werror", "-pedantic", "-I\(prefix)/include",
                                               "-c", source, "-o", "\(dir)/host.o"])
        #expect(compile.status == 0, "\(driver) \(standard): \(compile.stderr)")
    }
}
