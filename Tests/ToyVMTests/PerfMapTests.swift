import Foundation
import Testing
import TestSupport

/// What toyvm writes to /tmp/perf-PID.map, checked without perf.
@Suite(.tags(.backendSensitive)) struct PerfMapTests {
    static func program(_ name: String) -> String { Harness.programs.appendingPathComponent(name).path }

    static func pid(in stdout: String) -> Int32 {
        let line = stdout.split(separator: "\n").last { $0.hasPrefix("pid ") }
        return Int32(line?.dropFirst(4) ?? "") ?? -1
    }

    /// Every line is `hex hex name` with no 0x and a non-zero size.
    static func expectWellFormed(_ lines: [String]) {
        for line in lines {
            let fields = line.split(separator: " ", maxSplits: 2)
            #expect(fields.count == 3, "bad line \(line)")
            guard fields.count == 3 else { continue }
            #expect(!fields[0].hasPrefix("0x") && UInt(fields[0], radix: 16) != nil)
            #expect((UInt(fields[1], radix: 16) ?? 0) > 0)
        }
    }

    @Test func runtimeSwitchNamesOnlyFunctionsEnteredWhileOn() throws {
        let path = Self.program("runtime_switch.toy")
        let outcome = try Harness.toy([path])
        let pid = Self.pid(in: outcome.stdout)
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0)
        #expect(outcome.stderr.isEmpty)
        #expect(outcome.stdout.contains("[perf-state] active at start: false\nactivated: true\nactive in bar: false\nactive again: true\nresult 5\nstill active: true"))
        let lines = try #require(Harness.mapLines(pid))
        Self.expectWellFormed(lines)
        let names = lines.map { $0.split(separator: " ", maxSplits: 2)[2] }
        #expect(names.contains { $0 == "toy::spam:\(path)" })
        #expect(names.contains { $0 == "toy::bar:\(path)" })
        #expect(names.contains { $0 == "toy::baz:\(path)" })
        #expect(!names.contains { $0.hasPrefix("toy::foo:") })
        #expect(Set(names).count == names.count, "no function is named twice")
    }

    @Test func tenThousandCyclesLeaveOneEntryPerFunction() throws {
        let path = Self.program("toggle.toy")
        let outcome = try Harness.toy([path])
        let pid = Self.pid(in: outcome.stdout)
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.stdout.hasPrefix("total 50000 active true"))
        let lines = try #require(Harness.mapLines(pid))
        Self.expectWellFormed(lines)
        #expect(lines.filter { $0.hasSuffix(" toy::one:\(path)") }.count == 1)
        #expect(lines.filter { $0.hasSuffix(" toy::two:\(path)") }.count == 1)
        #expect(lines.count == 2, "the module was entered while off; got \(lines)")
    }

    @Test func invalidModeIsARuntimeErrorNamingIt() throws {
        let path = Self.program("bad_mode.toy")
        let outcome = try Harness.toy([path])
        #expect(outcome.status == 1)
        #expect(outcome.stdout == "before\n")
        #expect(outcome.stderr.hasPrefix("\(path):1: error: perf_activate(): unknown mode 'bogus_mode'"))
        #expect(outcome.stderr.contains("  at <module> (\(path):3)\n  at f (\(path):1)"))
    }

    @Test func namesUseThePathAsGivenAndStringForDashC() throws {
        let outcome = try Harness.toy(["-Xperf", "-c", "fn f() { return getpid() }\nprint(\"pid\", f())"])
        let pid = Self.pid(in: outcome.stdout)
        defer { Harness.removeFiles(of: pid) }
        let lines = try #require(Harness.mapLines(pid))
        Self.expectWellFormed(lines)
        #expect(lines.count == 2)
        #expect(lines.contains { $0.hasSuffix(" toy::<module>:<string>") })
        #expect(lines.contains { $0.hasSuffix(" toy::f:<string>") })
        let mapped = try #require(try? FileManager.default.attributesOfItem(atPath: Harness.mapPath(pid)))
        #expect((mapped[.posixPermissions] as? Int) == 0o600)
    }

    @Test func flagWinsAndNoFlagMeansNoFile() throws {
        let code = "print(\"pid\", getpid())"
        let off = try Harness.toy(["-c", code])
        #expect(!FileManager.default.fileExists(atPath: Harness.mapPath(Self.pid(in: off.stdout))))
        let env = try Harness.toy(["-c", code], environment: Harness.cleanEnvironment(["PERFSUPPORT": "1"]))
        let envPid = Self.pid(in: env.stdout)
        defer { Harness.removeFiles(of: envPid) }
        #expect(Harness.mapLines(envPid)?.count == 1)
        let bad = try Harness.toy(["-c", code], environment: Harness.cleanEnvironment(["PERFSUPPORT": "sometimes"]))
        #expect(bad.status == 0)
        #expect(bad.stderr == "toyvm: warning: ignoring unknown profiling mode 'PERFSUPPORT=sometimes' (expected 'perf', 'jitdump' or 'off')\n")
        Harness.removeFiles(of: Self.pid(in: bad.stdout))
    }

    /// Issue 16: a map deleted while the program runs is created again, with every entry, when
    /// the next function is named.
    @Test func aMapDeletedMidRunIsCreatedAgainComplete() throws {
        let (dir, path) = try Harness.writeTemporary("""
            fn before() { return 1 }
            fn after() { return 2 }
            print("pid", getpid())
            before()
            print("ready")
            sleep(1.5)
            print(after())
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.toyvm)
        process.arguments = ["-Xperf", path]
        process.environment = Harness.cleanEnvironment()
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let pid = process.processIdentifier
        defer { Harness.removeFiles(of: pid) }
        #expect(Harness.waitForLine(startingWith: "ready", in: output) != nil)
        let lines = Harness.mapLines(pid)?.count ?? 0
        #expect(lines == 2, "<module> and before() named before the deletion")
        #expect(unlink(Harness.mapPath(pid)) == 0)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let names = (Harness.mapLines(pid) ?? []).compactMap { $0.split(separator: " ", maxSplits: 2).last.map(String.init) }
        #expect(names == ["toy::<module>:\(path)", "toy::before:\(path)", "toy::after:\(path)"])
    }
}
