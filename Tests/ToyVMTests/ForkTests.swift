import Foundation
import Testing
import TestSupport

/// Fork children name every stub they can run, in their own map.
@Suite(.tags(.backendSensitive)) struct ForkTests {
    static func program(_ name: String) -> String { Harness.programs.appendingPathComponent(name).path }

    static let forkProbe = Harness.forkProbe

    /// Runs the fork probe in `mode`; its outcome and the pids it reports (`pid`, `child pid`).
    static func runProbe(_ mode: String) throws -> (outcome: Harness.Outcome, parent: Int32, child: Int32) {
        let outcome = try Harness.run(forkProbe, [mode], environment: Harness.cleanEnvironment([:]))
        return (outcome, Int32(value("pid", in: outcome.stdout) ?? "") ?? -1, Int32(value("child pid", in: outcome.stdout) ?? "") ?? -1)
    }

    static func value(_ key: String, in stdout: String) -> String? {
        stdout.split(separator: "\n").last { $0.hasPrefix(key + " ") }.map { String($0.dropFirst(key.count + 1)) }
    }

    /// Runs a fork program with -Xperf; returns its path, outcome and the parent's and child's pids.
    static func runForkProgram(_ name: String, environment: [String: String] = [:]) throws
        -> (path: String, outcome: Harness.Outcome, parent: Int32, child: Int32) {
        let path = program(name)
        let outcome = try Harness.toy(["-Xperf", path], environment: Harness.cleanEnvironment(environment))
        let parent = Int32(value("pid", in: outcome.stdout) ?? "") ?? -1
        let child = Int32(value("child pid", in: outcome.stdout) ?? "") ?? -1
        return (path, outcome, parent, child)
    }

    @Test func childNamesItsOwnFunctionsAndInheritsTheParents() throws {
        let (path, outcome, parent, child) = try Self.runForkProgram("fork_chain.toy")
        defer { Harness.removeFiles(of: parent); Harness.removeFiles(of: child) }
        #expect(outcome.status == 0)
        #expect(outcome.stderr.isEmpty)
        #expect(outcome.stdout.contains("parent 3\n"))
        #expect(outcome.stdout.contains("child 31\n"))
        #expect(outcome.stdout.contains("child status 0\n"))

        let parentLines = try #require(Harness.mapLines(parent))
        let childLines = try #require(Harness.mapLines(child))
        for name in ["foo", "bar", "baz"] {
            #expect(parentLines.contains { $0.hasSuffix(" toy::\(name):\(path)") })
        }
        #expect(!parentLines.contains { $0.contains("_fork:") }, "the child's stubs must not reach the parent's map")
        for name in ["foo_fork", "bar_fork", "baz_fork"] {
            #expect(childLines.contains { $0.hasSuffix(" toy::\(name):\(path)") })
        }
        // Inherited: the child's map starts with every line the parent had, byte for byte.
        let inherited = try #require(parentLines.first { $0.hasSuffix(" toy::foo:\(path)") })
        #expect(childLines.contains(inherited))
        #expect(Array(childLines.prefix(4)) == Array(parentLines.prefix(4)))
        #expect(Set(childLines).count == childLines.count, "no duplicates in the child's map")
    }

    @Test func preparedStubsHaveIdenticalLinesInBothMaps() throws {
        let (path, outcome, parent, child) = try Self.runForkProgram("fork_prepare.toy")
        defer { Harness.removeFiles(of: parent); Harness.removeFiles(of: child) }
        #expect(outcome.status == 0)
        #expect(outcome.stderr.isEmpty)
        #expect(outcome.stdout.contains("child 3\n") && outcome.stdout.contains("parent 3\n"))
        let parentLines = try #require(Harness.mapLines(parent))
        let childLines = try #require(Harness.mapLines(child))
        for name in ["foo", "bar", "baz"] {
            let line = try #require(parentLines.first { $0.hasSuffix(" toy::\(name):\(path)") })
            #expect(childLines.contains(line))
        }
        #expect(childLines == parentLines, "nothing new was entered after the fork, so the maps are equal")
    }

    @Test func burstOfTwentyChildren() throws {
        let path = Self.program("fork_burst.toy")
        let outcome = try Harness.toy(["-Xperf", path])
        let parent = Int32(Self.value("pid", in: outcome.stdout) ?? "") ?? -1
        let listed = Self.value("children pids", in: outcome.stdout) ?? "[]"
        let children = listed.dropFirst().dropLast().split(separator: ",").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
        defer { Harness.removeFiles(of: parent); children.forEach(Harness.removeFiles(of:)) }
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("children 20 failures 0"))
        #expect(children.count == 20)
        let parentLines = try #require(Harness.mapLines(parent))
        #expect(!parentLines.contains { $0.contains("toy::child_only:") })
        for child in children {
            let lines = try #require(Harness.mapLines(child), "child \(child) has no map")
            PerfMapTests.expectWellFormed(lines)
            #expect(lines.filter { $0.hasSuffix(" toy::child_only:\(path)") }.count == 1)
            #expect(Array(lines.prefix(parentLines.count)) == parentLines)
        }
    }

    /// Issue 16: children SIGKILLed at random moments while their fork handler copies 100,000
    /// entries never leave a torn line: the copy is written aside and renamed into place, so a
    /// child's map is empty or complete. 0–10 ms is the issue's scenario; 0–60 ms also lets
    /// most copies finish (about 40 ms in a debug build here).
    @Test(arguments: [10_000, 60_000])
    func childrenKilledWhileCopyingLeaveNoTornLine(maxDelayMicroseconds: Int) throws {
        let outcome = try Harness.run(Self.forkProbe, ["kill", "100000", "40", "\(maxDelayMicroseconds)"],
                                      environment: Harness.cleanEnvironment([:]), timeLimit: 300)
        defer { Harness.reportedPids(outcome).forEach(Harness.removeFiles(of:)) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let counts = Dictionary(uniqueKeysWithValues: stride(from: 0, to: 10, by: 2).compactMap { index -> (String, Int)? in
            let fields = outcome.stdout.split(separator: "\n").first?.split(separator: " ") ?? []
            guard fields.count >= index + 2, let value = Int(fields[index + 1]) else { return nil }
            return (String(fields[index]), value)
        })
        #expect(counts["trials"] == 40, "\(outcome.stdout)")
        #expect(counts["torn"] == 0, "\(outcome.stdout)")
        #expect(counts["partial"] == 0, "\(outcome.stdout)")
        #expect((counts["complete"] ?? 0) + (counts["empty"] ?? 0) == 40, "\(outcome.stdout)")
    }

    /// Issue 23, item 4: a child that execs leaves no map and no dump (it used to keep a full
    /// copy of its parent's entries under its pid, for another program), and it pays nothing
    /// for them (Docs/performance.md: fork costs). The parent's files are untouched.
    @Test(arguments: ["perf", "jitdump"])
    func aChildThatExecsLeavesNothingBehind(mode: String) throws {
        if mode == "jitdump", let backend = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_BACKEND"], backend != "asm" {
            print("SKIP aChildThatExecsLeavesNothingBehind(jitdump): PERFTRAMPOLINE_BACKEND=\(backend) has no jitdump mode here")
            return
        }
        let outcome = try Harness.run(Self.forkProbe, ["exec", "1000", mode], environment: Harness.cleanEnvironment([:]))
        let parent = Int32(Self.value("pid", in: outcome.stdout) ?? "") ?? -1
        let child = Int32(Self.value("child pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: parent); Harness.removeFiles(of: child) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(Self.value("child exit", in: outcome.stdout) == "0")
        #expect(child > 0)
        #expect(!FileManager.default.fileExists(atPath: Harness.mapPath(child)))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/jit-\(child).dump"))
        if mode == "perf" {
            #expect(Harness.mapLines(parent)?.count == 1000)
        } else {
            #expect(FileManager.default.fileExists(atPath: "/tmp/jit-\(parent).dump"))
        }
    }

    /// Issue 14: entries of another code generator, announced with profiling off, follow the
    /// same fork rules as stubs: the child's entry goes to the child's own map (which also
    /// holds the inherited one), never to the parent's.
    @Test func externalEntriesAfterForkGoToTheChildsOwnMap() throws {
        let (outcome, parent, child) = try Self.runProbe("entry")
        defer { Harness.removeFiles(of: parent); Harness.removeFiles(of: child) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("child status 0"))
        // Explicit element types: Swift 6.2's type checker otherwise resolves `==` against
        // `[String?]` and rejects the expression (issue 22).
        let parentNames: [String] = Harness.mapNames(parent)
        let childNames: [String] = Harness.mapNames(child)
        #expect(parentNames == ["jit::parent_entry"])
        #expect(childNames == ["jit::parent_entry", "jit::child_entry"])
    }

    /// Issue 23: the switch's OFF, still pending (no cold path ran yet), then fork(): the fork
    /// prepare handler applies it, so the child does not come back on and makes no map, and
    /// parent and child both say off.
    @Test func aPendingOffIsAppliedBeforeFork() throws {
        let started = Date()
        let (outcome, parent, child) = try Self.runProbe("pending-off")
        defer { Harness.removeFiles(of: parent); Harness.removeFiles(of: child) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(Self.value("child exit", in: outcome.stdout) == "0")
        #expect(Self.value("parent status", in: outcome.stdout)?.contains("mode=off") == true, "\(outcome.stdout)")
        #expect(Self.value("child status", in: outcome.stdout)?.contains("mode=off") == true, "\(outcome.stdout)")
        #expect(Self.value("child stub", in: outcome.stdout) == "no")
        // A map under the child's pid may be a stale one of an earlier process with that pid
        // (seen once): only one written during this test would be the child's.
        if let modified = (try? FileManager.default.attributesOfItem(atPath: Harness.mapPath(child)))?[.modificationDate] as? Date {
            #expect(modified < started.addingTimeInterval(-1), "the child made a map although profiling was switched off")
        }
        #expect(Harness.mapNames(parent) == ["c::before_off"])
    }

    /// Issue 23: the switch's handler running on 8 threads at once loses no delivery: 8,000
    /// toggles leave profiling on, 8,001 off (each run 20 times: a lost toggle is a coin flip).
    @Test(arguments: [0, 1])
    func concurrentDeliveriesAreEveryOneAToggle(extra: Int) throws {
        for _ in 0..<20 {
            let outcome = try Harness.run(Self.forkProbe, ["toggle-threads", "\(extra)"], environment: Harness.cleanEnvironment([:]))
            defer { Harness.removeFiles(of: outcome.pid) }
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let expected = extra == 0 ? "mode=perfMap" : "mode=off"
            #expect(Self.value("status", in: outcome.stdout)?.contains(expected) == true, "\(outcome.stdout)")
        }
    }

    /// Issue 23: the randomized interleaving (Tests/ForkProbe/interleaving.c): 4 threads create,
    /// call and release code objects while the switch's signal toggles profiling and threads
    /// switch modes at random (catch-ups in slices of 2 entries), and the process forks 3 times; each child goes on alone, then every process switches on and
    /// must name every stub it can run under its current name, with every result right. Three
    /// fresh seeds per mode on each run (printed, to replay: `ForkProbe random SEED MODE 3 STEPS`).
    @Test(arguments: ["perf", "jitdump"])
    func randomInterleavingsKeepEveryProcessNamed(mode: String) throws {
        if mode == "jitdump", let backend = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_BACKEND"], backend != "asm" {
            // The debug build's c and ffi stubs have no unwind description: jitdump mode is refused.
            print("SKIP randomInterleavingsKeepEveryProcessNamed(jitdump): PERFTRAMPOLINE_BACKEND=\(backend) has no jitdump mode here")
            return
        }
        // 400,000 steps per thread take 14 s natively and 61 s under qemu-aarch64 alone, and
        // past the 120 s limit on a loaded CI machine (the registries grow with every new name,
        // and each mode switch catches all of them up). Emulated, an eighth of them (100,000
        // still averaged 69 s per run beside the rest of the suite in CI) and a longer limit.
        let steps = Perf.emulator == nil ? 400_000 : 50_000
        for _ in 0..<3 {
            let seed = UInt32.random(in: 1...UInt32.max)
            // Catch-ups in slices of 2 entries (a debug build's seam): every switch leaves one
            // in progress for the interleaving to cut into.
            let outcome = try Harness.run(Self.forkProbe, ["random", "\(seed)", mode, "3", "\(steps)"],
                                          environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_CATCHUP_SLICE": "2"]),
                                          timeLimit: Perf.emulator == nil ? 120 : 300)
            let pid = Int32(Self.value("pid", in: outcome.stdout) ?? "") ?? -1
            defer { Harness.removeFiles(of: pid) }
            #expect(outcome.status == 0, "seed \(seed) \(mode): \(outcome.stderr)")
            #expect(Self.value("child exits", in: outcome.stdout) == "0 0 0", "seed \(seed) \(mode): \(outcome.stderr)")
            #expect(Self.value("wrong", in: outcome.stdout) == "0", "seed \(seed) \(mode)")
            #expect(Self.value("unnamed", in: outcome.stdout) == "0", "seed \(seed) \(mode): \(outcome.stderr)")
            #expect(outcome.stderr.isEmpty, "seed \(seed) \(mode): \(outcome.stderr)")
            print("random interleaving, \(mode), seed \(seed): \(outcome.stdout.split(separator: "\n").joined(separator: "; "))")
        }
    }

    /// Issue 24: a fork the atfork handlers never see (raw SYS_fork): the child's stub is named
    /// in the child's own map, with the inherited entry; the parent's map never gets it.
    @Test func aRawForkChildWritesItsOwnMap() throws {
        let (outcome, parent, child) = try Self.runProbe("raw-fork")
        defer { Harness.removeFiles(of: parent); Harness.removeFiles(of: child) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(Self.value("child exit", in: outcome.stdout) == "0")
        #expect(Harness.mapNames(parent) == ["c::parent_before", "c::parent_after"])
        #expect(Harness.mapNames(child) == ["c::parent_before", "c::child_only"])
    }
}
