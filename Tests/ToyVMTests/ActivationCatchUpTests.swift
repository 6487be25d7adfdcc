import Foundation
import Testing
import TestSupport

/// Issue 23: switching on with many stubs to catch up (200,000 made in one mode, then the
/// other) writes the newly active file in slices, each under the registration lock, so that
/// other threads' first entries, signals and forks are not held up for the whole of it; and
/// the file that results names every stub exactly once. Driven through the C API
/// (`ForkProbe catch-up…`, Tests/ForkProbe/catch_up.c).
@Suite(.tags(.backendSensitive)) struct ActivationCatchUpTests {
    static let stubs = 200_000

    static func value(_ key: String, in stdout: String) -> String? { ForkTests.value(key, in: stdout) }

    /// `key N` in a line of `stdout` with several such pairs.
    static func number(_ key: String, in line: String) -> Int? {
        let words = line.split(separator: " ")
        guard let index = words.firstIndex(of: Substring(key)), index + 1 < words.count else { return nil }
        return Int(words[index + 1])
    }

    /// The names a jitdump's load records give, each with how many records carry it.
    static func dumpNames(_ pid: Int32) throws -> [String: Int] {
        let reader = try JitDumpReader(path: "/tmp/jit-\(pid).dump")
        return reader.loads.reduce(into: [:]) { $0[$1.name, default: 0] += 1 }
    }

    /// Every `c::f_i` (i < `stubs`) once, and nothing else but what `extra` allows.
    static func expectEveryStubNamedOnce(_ names: [String: Int], extra: (String) -> Bool) {
        let existing = names.keys.filter { $0.hasPrefix("c::f_") }
        #expect(existing.count == stubs, "every stub made before the switch is named")
        #expect(names.values.allSatisfy { $0 == 1 }, "no name twice: \(names.filter { $0.value > 1 }.prefix(3))")
        let others = names.keys.filter { !$0.hasPrefix("c::f_") && !extra($0) }
        #expect(others.isEmpty, "unexpected names: \(others.prefix(3))")
    }

    static func skipWithoutJitdump(_ test: String) -> Bool {
        guard let backend = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_BACKEND"], backend != "asm" else { return false }
        print("SKIP \(test): PERFTRAMPOLINE_BACKEND=\(backend) has no jitdump mode here")
        return true
    }

    /// Another thread enters new code objects, one every 0.2 ms, while `activate`
    /// catches up 200,000 entries: its first entries return during the activation (before
    /// issue 23's fix 0 or 1 did: each waited for the whole catch-up, 0.57–0.75 s here), and after it
    /// the new file names every stub once, the other thread's included (made in the old mode,
    /// caught up like the rest).
    @Test(arguments: [("perf", "jitdump"), ("jitdump", "perf")])
    func firstEntriesOfOtherThreadsRunDuringALongActivation(from: String, to: String) throws {
        if Self.skipWithoutJitdump("firstEntriesOfOtherThreadsRunDuringALongActivation") { return }
        let outcome = try Harness.run(ForkTests.forkProbe, ["catch-up", "\(Self.stubs)", from, to],
                                      environment: Harness.cleanEnvironment([:]))
        let pid = Int32(Self.value("pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let report = try #require(outcome.stdout.split(separator: "\n").first { $0.hasPrefix("activation_us") }.map(String.init))
        let during = try #require(Self.number("during", in: report))
        let late = try #require(Self.number("late", in: report))
        print("catch-up \(from) → \(to): \(report)")
        #expect(during >= 10, "first entries that returned while the activation ran: \(report)")
        let names: [String: Int]
        if to == "jitdump" {
            names = try Self.dumpNames(pid)
        } else {
            let lines = try #require(Harness.mapLines(pid))
            names = lines.reduce(into: [:]) { $0[String($1.split(separator: " ", maxSplits: 2)[2]), default: 0] += 1 }
        }
        Self.expectEveryStubNamedOnce(names) { $0.hasPrefix("c::late_") }
        #expect(names.keys.filter { $0.hasPrefix("c::late_") }.count == late, "every later first entry is named")
    }

    /// The switch's signal turns profiling on with 200,000 entries to catch up, and again (OFF)
    /// once the new file is being written: the OFF stops the activation at its next slice
    /// (before the fix it waited for the whole catch-up, 0.6–0.8 s, and the file was completed
    /// first). Off at the end. A new dump (written aside) is gone, aside copy included; a new
    /// map (claimed in place: it may be shared) stays, behind, every line whole.
    @Test(arguments: ["jitdump", "perf"])
    func anOffDuringALongActivationStopsIt(mode: String) throws {
        if Self.skipWithoutJitdump("anOffDuringALongActivationStopsIt") { return }
        let outcome = try Harness.run(ForkTests.forkProbe, ["catch-up-off", "\(Self.stubs)", mode],
                                      environment: Harness.cleanEnvironment([:]))
        let pid = Int32(Self.value("pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let report = try #require(outcome.stdout.split(separator: "\n").first { $0.hasPrefix("apply_us") }.map(String.init))
        print("catch-up-off \(mode): \(report)")
        #expect(report.contains(" status mode=off "))
        if mode == "jitdump" {
            #expect(!FileManager.default.fileExists(atPath: "/tmp/jit-\(pid).dump"), "the OFF came before the dump was complete")
            #expect(!FileManager.default.fileExists(atPath: "/tmp/.jit-\(pid).dump.partial"))
        } else {
            let lines = try #require(Harness.mapLines(pid))
            #expect(lines.count < Self.stubs, "the OFF came before the map was complete: \(lines.count) lines")
            #expect(lines.allSatisfy { $0.split(separator: " ").count == 3 && $0.contains(" c::f_") }, "whole, true lines")
        }
    }

    /// A fork while another thread's activation (perf map → jitdump, 200,000 entries) is half
    /// way: the child, whose copy of that thread does not exist, makes the jitdump mode its
    /// own at its first cold path (its dump names every stub and its new one); the parent's
    /// thread finishes the parent's (every stub, not the child's).
    @Test func aForkDuringALongActivationLeavesBothProcessesOn() throws {
        if Self.skipWithoutJitdump("aForkDuringALongActivationLeavesBothProcessesOn") { return }
        let outcome = try Harness.run(ForkTests.forkProbe, ["catch-up-fork", "\(Self.stubs)"],
                                      environment: Harness.cleanEnvironment([:]))
        let parent = Int32(Self.value("pid", in: outcome.stdout) ?? "") ?? -1
        let child = Int32(Self.value("child pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: parent); Harness.removeFiles(of: child) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(Self.value("forked during activation", in: outcome.stdout) == "yes", "the fork must land in the catch-up")
        #expect(Self.value("child exit", in: outcome.stdout) == "0")
        #expect(Self.value("child stub", in: outcome.stdout) == "yes")
        #expect(Self.value("child status", in: outcome.stdout)?.hasPrefix("mode=jitDump ") == true)
        #expect(Self.value("parent status", in: outcome.stdout)?.hasPrefix("mode=jitDump ") == true)
        Self.expectEveryStubNamedOnce(try Self.dumpNames(child)) { $0 == "c::child_new" }
        #expect(try Self.dumpNames(child)["c::child_new"] == 1)
        Self.expectEveryStubNamedOnce(try Self.dumpNames(parent)) { _ in false }
    }

    /// `exit` while another thread's activation writes a new dump aside: the `atexit` handler
    /// drops it, so neither the aside copy (tens of MB at 200,000 stubs) nor the empty file
    /// claimed at the dump's path is left behind (review of issue 23's slicing).
    @Test func anExitDuringALongActivationLeavesNoDumpBehind() throws {
        if Self.skipWithoutJitdump("anExitDuringALongActivationLeavesNoDumpBehind") { return }
        let outcome = try Harness.run(ForkTests.forkProbe, ["catch-up-exit", "\(Self.stubs)"],
                                      environment: Harness.cleanEnvironment([:]))
        let pid = Int32(Self.value("pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(Self.value("exit during activation", in: outcome.stdout) == "yes")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/.jit-\(pid).dump.partial"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/jit-\(pid).dump"))
    }
}
