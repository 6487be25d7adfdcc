import Foundation
import Testing

/// What the host's process may be set up with, and profiling must live with.
@Suite struct HostEnvironmentTests {
    /// 2,000 functions, each called once: 2,000 map lines or jitdump record pairs, far more than
    /// 20 KiB.
    static let manyFunctions: String = {
        var source = ""
        for index in 0..<2000 { source += "fn f\(index)(x) { return x + \(index) }\n" }
        source += "let total = 0\n"
        for index in 0..<2000 { source += "total = total + f\(index)(1)\n" }
        return source + "print(total)\n"
    }()

    private func runLimited(_ flags: [String], _ path: String, blocks: Int) throws -> Harness.Outcome {
        // `exec` keeps toyvm's pid the shell's, so its files can be removed by that pid. SIGXFSZ
        // back to its default (kill), whatever the test runner ignores: as in a user's shell.
        try Harness.run("/bin/bash", ["-c", "ulimit -f \(blocks) && exec /usr/bin/env --default-signal=XFSZ \"$@\"", "bash",
                                      Harness.toyvm] + flags + [path],
                        environment: Harness.cleanEnvironment())
    }

    /// Issue 24: a file-size limit (`ulimit -f`) never turns profiling into a crash. The kernel
    /// raises SIGXFSZ, which kills by default, for a write that starts at the limit; the library
    /// refuses such a write itself (EFBIG): one warning, profiling off, the same output.
    @Test(arguments: [["-Xperf"], ["-Xperf_jit"]])
    func aFileSizeLimitIsOneWarningNotADeath(flags: [String]) throws {
        let (dir, path) = try Harness.writeTemporary(Self.manyFunctions, name: "many.toy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = try runLimited(flags, path, blocks: 20)
        defer { Harness.removeFiles(of: outcome.pid) }
        #expect(outcome.status == 0, "killed by a signal? status \(outcome.status): \(outcome.stderr)")
        #expect(outcome.stdout == "2001000\n")
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("File too large"), "\(outcome.stderr)")
        // What was written is whole, and within the limit (bash counts 1,024-byte blocks).
        let file = flags == ["-Xperf"] ? Harness.mapPath(outcome.pid) : "/tmp/jit-\(outcome.pid).dump"
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        #expect(size > 0 && size <= 20 * 1024, "\(file): \(size) bytes")
        if flags == ["-Xperf"] {
            #expect((Harness.mapLines(outcome.pid) ?? []).allSatisfy { $0.split(separator: " ").count == 3 })
        }
    }

    /// Issue 24: the same limit met in a fork child (its own map, then its own 2,000 functions):
    /// the child warns once and computes its result; the parent is untouched.
    @Test(arguments: [["-Xperf"], ["-Xperf_jit"]])
    func aFileSizeLimitInAForkChildIsOneWarning(flags: [String]) throws {
        // Declared before the fork, first entered (named) in the child only.
        let lines = Self.manyFunctions.split(separator: "\n")
        var source = lines.filter { $0.hasPrefix("fn ") }.joined(separator: "\n")
        source += "\nfn warm(x) { return x }\nwarm(1)\nprint(\"pid\", getpid())\nlet pid = fork()\nif pid == 0 {\n"
        source += lines.filter { !$0.hasPrefix("fn ") }.map { "  " + $0 }.joined(separator: "\n")
        source += "\n  print(\"child pid\", getpid())\n  exit(0)\n}\nprint(\"child status\", wait(pid))\n"
        let (dir, path) = try Harness.writeTemporary(source, name: "many_in_child.toy")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = try runLimited(flags, path, blocks: 20)
        let child = Int32(ForkTests.value("child pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: outcome.pid); Harness.removeFiles(of: child) }
        #expect(outcome.status == 0, "status \(outcome.status): \(outcome.stderr)")
        #expect(outcome.stdout.contains("2001000\n"), "\(outcome.stdout)")
        #expect(ForkTests.value("child status", in: outcome.stdout) == "0", "the child was not killed: \(outcome.stdout)")
        #expect(outcome.stderr.split(separator: "\n").count == 1 && outcome.stderr.contains("File too large"),
                "\(outcome.stderr)")
        if flags == ["-Xperf"] {
            #expect(Harness.mapNames(outcome.pid).count == 2, "the parent's map: <module> and warm only")
        }
    }

    /// Issue 23: a host that ignores SIGCHLD (its children are reaped by the kernel) with the c
    /// backend: the backend's start-up self-test must not wait forever for a child.
    @Test(arguments: ["c", "asm"])
    func aHostIgnoringSIGCHLDRunsWithTheCBackend(backend: String) throws {
        let outcome = try Harness.run("/bin/bash", ["-c", "trap '' CHLD && exec \"$@\"", "bash", Harness.toyvm, "-Xperf",
                                                    "-c", "fn f(n) { if n < 2 { return n } return f(n - 1) + f(n - 2) }\nprint(f(10))"],
                                      environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_BACKEND": backend]), timeLimit: 60)
        defer { Harness.removeFiles(of: outcome.pid) }
        #expect(outcome.status == 0, "status \(outcome.status): \(outcome.stderr)")
        #expect(outcome.stdout == "55\n")
        if Perf.emulator != nil && backend == "c" && !outcome.stderr.isEmpty {
            // qemu-user refuses the exit-signal-0 clone; the fallback's child is reaped by the
            // kernel when SIGCHLD is ignored: the self-test fails cleanly, one line, no hang.
            #expect(outcome.stderr.contains("self-test") && outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
            return
        }
        #expect(outcome.stderr.isEmpty, "\(outcome.stderr)")
        #expect((Harness.mapLines(outcome.pid) ?? []).count == 2, "<module> and f named")
    }

    /// Issue 24: a jitdump set-up that fails for lack of descriptors (`prlimit --nofile=4`)
    /// leaves no file behind, not even the empty dump it had claimed.
    @Test func aFailedSetupForLackOfDescriptorsLeavesNoFile() throws {
        if let emulator = Perf.emulator {
            print("SKIP aFailedSetupForLackOfDescriptorsLeavesNoFile: under \(emulator), the descriptor limit binds the emulator")
            return
        }
        guard let prlimit = Harness.which("prlimit") else {
            Issue.record("prlimit (util-linux) is missing")
            return
        }
        let outcome = try Harness.run(prlimit, ["--nofile=4", Harness.toyvm, "-Xperf_jit", "-c",
                                                "fn f(x) { return x }\nprint(f(3))\nprint(\"pid\", getpid())"],
                                      environment: Harness.cleanEnvironment())
        let pid = Int32(ForkTests.value("pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0)
        #expect(outcome.stdout.hasPrefix("3\n"))
        #expect(outcome.stderr.contains("Too many open files") && outcome.stderr.split(separator: "\n").count == 1,
                "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/jit-\(pid).dump"))
        #expect(!FileManager.default.fileExists(atPath: Harness.mapPath(pid)))
    }
}
