import Foundation
import Testing
import TestSupport

/// Setup failures never change what a program computes: one warning, profiling off, same output.
@Suite(.tags(.backendSensitive)) struct FaultInjectionTests {
    static let probe = Harness.programs.appendingPathComponent("fault_probe.toy").path
    /// The backend the suite runs under (Scripts/test.sh runs it again for c and ffi).
    static let forcedBackend = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_BACKEND"].flatMap { $0 == "asm" ? nil : $0 }

    @Test(arguments: [
        ("mmap", "perf support disabled: mmap failed: Cannot allocate memory"),
        ("mprotect", "perf support disabled: the kernel refuses to make memory executable (mprotect PROT_EXEC: Permission "
            + "denied); a policy such as systemd's MemoryDenyWriteExecute=, prctl(PR_SET_MDWE) or SELinux's execmem denial "
            + "is in force. The program runs unchanged; perf still samples it, without interpreted names"),
        ("open", "perf support disabled: cannot open /tmp/perf-PID.map: Permission denied"),
        ("tmp", "perf support disabled: cannot open /tmp/perf-PID.map: Read-only file system"),
        ("write", "perf support disabled: write /tmp/perf-PID.map failed: No space left on device"),
    ])
    func oneWarningAndTheSameResult(fault: String, warning: String) throws {
        let plain = try Harness.toy([Self.probe])
        let faulty = try Harness.toy(["-Xperf", Self.probe], environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_FAULT": fault]))
        let pid = Harness.reportedPids(faulty)
        defer { pid.forEach(Harness.removeFiles(of:)) }
        #expect(faulty.status == plain.status)
        #expect(DifferentialTests.stable(faulty.stdout) == DifferentialTests.stable(plain.stdout))
        let expected = "toyvm: warning: " + warning.replacingOccurrences(of: "PID", with: "\(faulty.pid)") + "\n"
        if Self.forcedBackend == nil {
            #expect(faulty.stderr == expected)
        } else {
            // Other backends meet mmap/mprotect refusals in their own set-up (the C stub's
            // self-test): still exactly one warning line, with the same cause.
            let reason = warning.split(separator: ":").last.map { String($0) } ?? warning
            #expect(faulty.stderr.hasPrefix("toyvm: warning: perf support"))
            #expect(faulty.stderr.hasSuffix(reason + "\n"), "\(faulty.stderr)")
            #expect(faulty.stderr.split(separator: "\n").count == 1)
        }
        #expect(faulty.stdout.contains("[perf-state] mode=off"))
        #expect(faulty.stdout.contains("off because: "))
    }

    /// Issue 16: retrying a switch that cannot work warns once, not once per try.
    @Test func aRepeatedIdenticalFailureWarnsOnce() throws {
        let outcome = try Harness.toy(["-c", "let i = 0\nwhile i < 2000 { perf_activate(\"perf\"); i = i + 1 }\nprint(\"done\")"],
                                      environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_FAULT": "mprotect"]))
        defer { Harness.reportedPids(outcome).forEach(Harness.removeFiles(of:)) }
        #expect(outcome.status == 0)
        #expect(outcome.stdout == "done\n")
        #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr.prefix(500))")
    }

    @Test func symlinkAtTheMapPathIsRefusedAndTheTargetUntouched() throws {
        let (dir, _) = try Harness.writeTemporary("")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/victim"
        try "precious\n".write(toFile: target, atomically: true, encoding: .utf8)
        // exec keeps the shell's pid, so the link is planted at exactly toyvm's map path.
        let outcome = try Harness.run("/bin/sh", ["-c", "ln -s \(target) /tmp/perf-$$.map && exec \(Harness.toyvm) -Xperf \(Self.probe)"])
        defer { Harness.removeFiles(of: outcome.pid) }
        #expect(outcome.status == 0)
        #expect(outcome.stderr == "toyvm: warning: perf support disabled: /tmp/perf-\(outcome.pid).map is a symbolic link; refusing to follow it\n")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious\n")
        #expect(outcome.stdout.contains("sum 332833500"))
    }

    @Test func fileOfAnotherUserIsRefused() throws {
        try #require(geteuid() == 0, "needs root to chown")
        let outcome = try Harness.run("/bin/sh", ["-c", "echo theirs > /tmp/perf-$$.map && chown 65534:65534 /tmp/perf-$$.map && exec \(Harness.toyvm) -Xperf \(Self.probe)"])
        defer { Harness.removeFiles(of: outcome.pid) }
        #expect(outcome.stderr == "toyvm: warning: perf support disabled: /tmp/perf-\(outcome.pid).map exists and is owned by uid 65534, not by us (uid 0); refusing to use it\n")
        #expect(try String(contentsOfFile: Harness.mapPath(outcome.pid), encoding: .utf8) == "theirs\n")
        #expect(outcome.stdout.contains("sum 332833500"))
    }

    @Test func staleFileOfARecycledPidIsReplaced() throws {
        let outcome = try Harness.run("/bin/sh", ["-c", "echo 'dead 1 stale' > /tmp/perf-$$.map && touch -d 2001-09-09 /tmp/perf-$$.map && exec \(Harness.toyvm) -Xperf \(Self.probe)"])
        defer { Harness.removeFiles(of: outcome.pid) }
        #expect(outcome.stderr.isEmpty)
        let lines = try #require(Harness.mapLines(outcome.pid))
        #expect(!lines.contains { $0.contains("stale") })
        #expect(lines.count == 3)
    }

    @Test func runningProcessHasNoWritableExecutableMappingAndCloexecFiles() throws {
        // jitdump mode needs a described frame: the asm stub (and an optimised C stub) has one.
        for flag in Self.forcedBackend == nil ? ["-Xperf", "-Xperf_jit"] : ["-Xperf"] {
            let (dir, path) = try Harness.writeTemporary("""
                fn f() { return 1 }
                f()
                print("pid", getpid())
                sleep(1)
                """)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Harness.toyvm)
            process.arguments = [flag, path]
            process.environment = Harness.cleanEnvironment(["PERFTRAMPOLINE_JITDUMP_DIR": dir])
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let pid = process.processIdentifier
            defer { process.waitUntilExit(); Harness.removeFiles(of: pid) }
            // f() is named (its file written) before "pid" is printed; the program then pauses.
            #expect(Harness.waitForLine(startingWith: "pid ", in: output) != nil)
            let maps = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)
            #expect(!maps.split(separator: "\n").contains { $0.split(separator: " ")[1].hasPrefix("rwx") }, "\(flag)")
            var checked = 0
            for fd in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                      target.hasSuffix(".map") || target.hasSuffix(".dump") else { continue }
                let info = try String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8)
                let flags = info.split(separator: "\n").first { $0.hasPrefix("flags:") }.flatMap { Int($0.split(separator: "\t").last ?? "", radix: 8) } ?? 0
                #expect(flags & 0o2000000 != 0, "\(target) must be O_CLOEXEC")
                checked += 1
            }
            #expect(checked == 1, "one file per mode: the map or the dump")
        }
    }
}
