import Foundation
import Testing
import TestSupport

/// `-Xperf_jit`: jitdump with unwind info, proven with perf's DWARF unwinder.
@Suite(.serialized) struct JitDumpTests {
    static let chain = Harness.programs.appendingPathComponent("chain.toy").path

    /// A scratch directory that also receives the dump (PERFTRAMPOLINE_JITDUMP_DIR), so that
    /// perf inject's jitted-PID-N.so files land in it and vanish with it.
    private func scratch() throws -> String { try Harness.writeTemporary("").dir }

    /// One capture: record, inject, script; returns (samples naming foo, of which complete, a bad one).
    private func captureDwarfChain() throws -> (naming: Int, complete: Int, example: [String]) {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let environment = Harness.cleanEnvironment(["PERFTRAMPOLINE_JITDUMP_DIR": dir])
        let data = dir + "/perf.data"
        let record = try Harness.run(Perf.path!, ["record", "-q", "-k", "1", "--call-graph", "dwarf,65528", "-F", "999",
                                                  "-o", data, "--", Harness.toyvm, "-Xperf_jit", Self.chain, "20"],
                                     environment: environment)
        let pid = Int32(record.stdout.split(separator: "\n").first { $0.hasPrefix("pid ") }?.dropFirst(4) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(record.status == 0, "\(record.stderr)")
        #expect(record.stdout.contains("total 5999900"))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/jit-\(pid).dump"))
        let injected = dir + "/perf.jit.data"
        let inject = try Harness.run(Perf.path!, ["inject", "--jit", "-i", data, "-o", injected])
        #expect(inject.status == 0, "\(inject.stderr)")
        let jitted = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("jitted-\(pid)-") }
        #expect(jitted.count >= 4, "perf inject wrote its ELF images next to the dump")
        let script = try Harness.run(Perf.path!, ["script", "-i", injected], directory: dir)
        let samples = Sample.parse(script.stdout)
        let file = Self.chain
        let expected = ["toy::foo:\(file)", "toy::bar:\(file)", "toy::baz:\(file)", "toy::<module>:\(file)"]
        let naming = samples.filter { $0.toyFrames.first == expected[0] }
        let complete = naming.filter { $0.toyFrames == expected }
        let example = naming.first { $0.toyFrames != expected }.map { Array($0.frames.prefix(12)) } ?? []
        return (naming.count, complete.count, example)
    }

    /// perf's DWARF capture is occasionally disturbed under load (CPython's perf tests retry
    /// three times for the same reason): a second capture is allowed, never a lower bar.
    @Test func dwarfUnwindingRecoversTheWholeChain() throws {
        guard Perf.available() else { return }
        var attempts: [(naming: Int, complete: Int, example: [String])] = []
        for _ in 0..<2 {
            let attempt = try captureDwarfChain()
            attempts.append(attempt)
            if attempt.naming >= 100 && Double(attempt.complete) >= 0.95 * Double(attempt.naming) { break }
        }
        let best = attempts.max { Double($0.complete) / Double(max($0.naming, 1)) < Double($1.complete) / Double(max($1.naming, 1)) }!
        #expect(best.naming >= 100, "attempts: \(attempts.map { ($0.naming, $0.complete) })")
        #expect(Double(best.complete) >= 0.95 * Double(best.naming),
                "attempts (naming foo, full chain): \(attempts.map { ($0.naming, $0.complete) }); e.g. \(attempts.first?.example ?? [])")
    }

    @Test(arguments: [(["-Xperf_jit"], [:]), (["-X", "perf_jit"], [:]), ([], ["PERFSUPPORT": "jitdump"])])
    func everySwitchWritesAWellFormedDump(flags: [String], environment: [String: String]) throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var env = environment
        env["PERFTRAMPOLINE_JITDUMP_DIR"] = dir
        let outcome = try Harness.toy(flags + [Self.chain, "1"], environment: Harness.cleanEnvironment(env))
        let pid = Int32(outcome.stdout.split(separator: "\n").first { $0.hasPrefix("pid ") }?.dropFirst(4) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0)
        #expect(outcome.stderr.isEmpty)
        let dump = try JitDumpReader(path: "\(dir)/jit-\(pid).dump")
        #expect(dump.header.pid == UInt32(pid))
        let names = dump.loads.map(\.name)
        for function in ["<module>", "baz", "bar", "foo"] {
            #expect(names.filter { $0 == "toy::\(function):\(Self.chain)" }.count == 1)
        }
        for load in dump.loads {
            let unwind = try #require(load.unwind)
            #expect(JitDumpReader.problems(in: unwind, codeSize: Int(load.codeSize)) == [])
            #expect(unwind.mappedSize > 0, "stubs made in jitdump mode have room for their unwind mapping")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(dir)/jit-\(pid).dump")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // The perf map is written too, so frame-pointer profiling works without inject.
        #expect(Harness.mapLines(pid)?.count == 4)
    }

    @Test func switchingModesAtRunTime() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = Harness.programs.appendingPathComponent("switch_modes.toy").path
        let outcome = try Harness.toy([path], environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_JITDUMP_DIR": dir]))
        let pid = Int32(outcome.stdout.split(separator: "\n").first { $0.hasPrefix("pid ") }?.dropFirst(4) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let map = try #require(Harness.mapLines(pid))
        for function in ["in_map", "in_dump", "back_in_map"] {
            #expect(map.filter { $0.hasSuffix(" toy::\(function):\(path)") }.count == 1)
        }
        let dump = try JitDumpReader(path: "\(dir)/jit-\(pid).dump")
        let names = dump.loads.map(\.name)
        // in_map was made before the dump existed: the dump catches up with it on activation.
        #expect(names == ["toy::in_map:\(path)", "toy::in_dump:\(path)"])
        #expect(dump.loads[0].unwind?.mappedSize == 0, "a compact stub claims no mapping room")
        #expect((dump.loads[1].unwind?.mappedSize ?? 0) > 0)
    }

    @Test func forkChildOpensItsOwnDumpWithEveryInheritedStub() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = Harness.programs.appendingPathComponent("fork_chain.toy").path
        let outcome = try Harness.toy(["-Xperf_jit", path], environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_JITDUMP_DIR": dir]))
        let parent = Int32(ForkTests.value("pid", in: outcome.stdout) ?? "") ?? -1
        let child = Int32(ForkTests.value("child pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: parent); Harness.removeFiles(of: child) }
        #expect(outcome.status == 0)
        let parentDump = try JitDumpReader(path: "\(dir)/jit-\(parent).dump")
        let childDump = try JitDumpReader(path: "\(dir)/jit-\(child).dump")
        #expect(childDump.header.pid == UInt32(child))
        let parentNames = parentDump.loads.map(\.name)
        let childNames = childDump.loads.map(\.name)
        #expect(!parentNames.contains { $0.contains("_fork:") })
        #expect(Array(childNames.prefix(parentNames.count)) == parentNames, "inherited stubs re-emitted in the child")
        #expect(childNames.contains("toy::foo_fork:\(path)"))
        #expect(childDump.loads.allSatisfy { $0.pid == UInt32(child) })
        #expect(zip(parentDump.loads, childDump.loads).allSatisfy { $0.codeAddress == $1.codeAddress })
    }
}
