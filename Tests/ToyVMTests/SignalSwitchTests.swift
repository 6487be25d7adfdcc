import Foundation
import Testing

/// Issue 15: `PERFTRAMPOLINE_SIGNAL=USR2` lets a signal switch profiling on and off in a
/// running toyvm started without `-Xperf`.
@Suite(.serialized) struct SignalSwitchTests {
    /// Starts `toyvm ARGS` with the switch on SIGUSR2 and waits until its handler is installed
    /// (SigCgt in /proc/PID/status), so that no signal can meet the default action.
    private func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Harness.toyvm)
        process.arguments = arguments
        process.environment = Harness.cleanEnvironment(["PERFTRAMPOLINE_SIGNAL": "USR2"].merging(extra) { $1 })
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !Self.catches(SIGUSR2, pid: process.processIdentifier) {
            if Date() > deadline || !process.isRunning { Issue.record("the signal handler was never installed"); break }
            sched_yield()
        }
        return (process, output)
    }

    static func catches(_ signal: Int32, pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
              let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << UInt64(signal - 1)) != 0
    }

    /// Waits (bounded) until `condition` holds, checking as fast as the scheduler allows.
    private func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            sched_yield()
        }
        return true
    }

    static let toggling = """
        fn work(n) { let i = 0; let s = 0; while i < n { s = s + i % 7; i = i + 1 }; return s }
        fn mid(n) { return work(n) }
        fn top(n) { return mid(n) }
        fn late(n) { return n + 1 }
        let seen_on = false
        let done = false
        while not done {
            top(20000)
            if perf_is_active() { seen_on = true } else { if seen_on { done = true } }
        }
        print("late", late(1))
        """

    @Test func oneSignalSwitchesOnAndPerfNamesTheChainASecondSwitchesOff() throws {
        guard Perf.available() else { return }
        let (dir, path) = try Harness.writeTemporary(Self.toggling)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (process, output) = try start([path])
        let pid = process.processIdentifier
        defer { Harness.removeFiles(of: pid); if process.isRunning { process.terminate() } }
        #expect(Harness.mapLines(pid) == nil, "off until the signal")

        kill(pid, SIGUSR2)
        guard waitUntil(20, { (Harness.mapLines(pid)?.count ?? 0) >= 3 }) else {
            Issue.record("work, mid and top were not named after the signal")
            return
        }
        let data = dir + "/perf.data"
        // perf learns that its `sleep` ended from SIGCHLD, which the test runner's spawned children
        // inherit blocked: start perf through a launcher that clears the signal mask.
        let record = try Harness.run("/usr/bin/env", ["python3", "-c",
                                                      "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
                                                      Perf.path!, "record", "-q", "-g", "-F", "999", "-p", "\(pid)", "-o", data, "--", "sleep", "2"],
                                     timeLimit: 60)
        #expect(record.status == 0, "\(record.stderr)")
        let script = try Harness.run(Perf.path!, ["script", "-i", data], directory: dir)
        let chain = ["work", "mid", "top"].map { "toy::\($0):\(path)" }
        let naming = Sample.parse(script.stdout).map(\.toyFrames).filter { $0.first == chain[0] }
        #expect(naming.count >= 50, "\(naming.count) samples name work")
        #expect(Double(naming.filter { Array($0.prefix(3)) == chain }.count) >= 0.95 * Double(naming.count))

        kill(pid, SIGUSR2)
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("late 2"))
        let map = try #require(Harness.mapLines(pid))
        #expect(!map.contains { $0.hasSuffix(" toy::late:\(path)") }, "late() was entered after the second signal")
        #expect(Set(map).count == map.count)
    }

    /// 1,000 signals as fast as possible while the program enters 300 new functions: no crash,
    /// no deadlock, the same output, at most one map line per function.
    @Test func aThousandSignalsChangeNothingTheProgramComputes() throws {
        var source = ""
        for index in 0..<300 { source += "fn f\(index)(x) { let s = 0; let i = 0; while i < 200 { s = s + (x + i) % \(index + 2); i = i + 1 }; return s }\n" }
        source += "let total = 0\nlet round = 0\nwhile round < 20 {\n"
        for index in 0..<300 { source += "    total = total + f\(index)(round)\n" }
        source += "    round = round + 1\n}\nprint(\"total\", total)\n"
        let (dir, path) = try Harness.writeTemporary(source)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = try Harness.toy([path])
        let (process, output) = try start([path])
        let pid = process.processIdentifier
        defer { Harness.removeFiles(of: pid) }
        var sent = 0
        while sent < 1000 && process.isRunning {
            kill(pid, SIGUSR2)
            sent += 1
        }
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(text.prefix(300))")
        #expect(text == plain.stdout, "signals changed the output")
        #expect(sent >= 100, "the program ended before \(sent) signals")
        let map = Harness.mapLines(pid) ?? []
        let names = map.compactMap { $0.split(separator: " ", maxSplits: 2).last.map(String.init) }
        #expect(Set(names).count == names.count, "a function named twice")
        PerfMapTests.expectWellFormed(map)
    }

    /// The signal delivered while the registration lock is held — in every cold path, and in
    /// the fork handler's prepare step (PERFTRAMPOLINE_FAULT=signal, debug builds) — must not
    /// deadlock: the handler never takes the lock.
    @Test(arguments: ["chain.toy", "fork_chain.toy"])
    func aSignalUnderTheLockDoesNotDeadlock(program: String) throws {
        let path = Harness.programs.appendingPathComponent(program).path
        let plain = try Harness.toy([path])
        let outcome = try Harness.run(Harness.toyvm, ["-Xperf", path],
                                      environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_SIGNAL": "USR2", "PERFTRAMPOLINE_FAULT": "signal"]),
                                      timeLimit: 60)
        defer { Harness.reportedPids(outcome).forEach(Harness.removeFiles(of:)) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(DifferentialTests.stable(outcome.stdout) == DifferentialTests.stable(plain.stdout))
    }

    @Test(arguments: [("USR2", true), ("SIGUSR1", true), ("usr2", true), ("12", true), ("BOGUS", false), ("KILL", false)])
    func signalNamesAreParsed(name: String, valid: Bool) throws {
        let outcome = try Harness.toy(["-c", "print(1)"], environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_SIGNAL": name]))
        #expect(outcome.status == 0)
        #expect(outcome.stdout == "1\n")
        #expect(outcome.stderr.contains("PERFTRAMPOLINE_SIGNAL") != valid, "\(name): \(outcome.stderr)")
    }
}
