import Foundation
import Testing
import TestSupport

/// Issue 15, bounded memory under code churn: the toy `compile` builtin makes functions at run
/// time; a freed function's trampoline is released. Perf-map mode reuses it only for the same
/// name; jitdump mode renames it (a fresh load record), and perf attributes samples taken
/// before and after the reuse to the right names.
@Suite(.serialized, .tags(.recordsWithPerf)) struct CodeReuseTests {
    static let churn = Harness.programs.appendingPathComponent("churn.toy").path
    static let reuseSpin = Harness.programs.appendingPathComponent("reuse_spin.toy").path

    private func value(_ key: String, in stdout: String) -> String? { ForkTests.value(key, in: stdout) }

    private func stubs(in stdout: String) -> Int? {
        stdout.split(separator: " ").first { $0.hasPrefix("stubs=") }.flatMap { Int($0.dropFirst(6)) }
    }

    @Test func compileReturnsUnboundFunctionsAndReportsBadSource() throws {
        let good = try Harness.toy(["-c", """
            fn twice(x) { return 2 * x }
            let fs = compile("fn sq(x) { return x * x }\\nfn fact(n) { if n < 2 { return 1 } return n * fact(n - 1) }", "lib")
            let fact = fs[1]
            print(len(fs), fs[0](7), fact(10), compile("fn g(x) { return twice(x) }")[0](4), fs[0])
            """], environment: Harness.cleanEnvironment())
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout == "2 49 3628800 8 <fn sq>\n")

        for (source, message) in [("compile(\"let x = 1\")", "compile(): <compile>:1:1: error: compiled source may only define functions"),
                                  ("compile(\"fn (\")", "compile(): <compile>:1:4: error: expected a name after 'fn'"),
                                  ("compile(1)", "compile() needs a source string, not int"),
                                  ("compile(\"fn f() {}\", 2)", "compile() needs a file name string, not int"),
                                  ("compile()", "compile() takes 1 or 2 arguments but 0 were given"),
                                  ("compile(\"fn f() { return sq(1) }\")[0]()", "undefined variable 'sq'")] {
            // A compiled function's own errors name its file (here the default, <compile>).
            let file = message.hasPrefix("undefined") ? "<compile>" : "<string>"
            let bad = try Harness.toy(["-c", source], environment: Harness.cleanEnvironment())
            #expect(bad.status == 1, "\(source)")
            #expect(bad.stderr.hasPrefix("\(file):1: error: \(message)"), "\(source): \(bad.stderr)")
        }
    }

    /// Perf-map mode: 20,000 functions over 100 names leave 100 stubs and one line per name.
    @Test func perfMapModeReusesAStubOnlyForItsName() throws {
        let outcome = try Harness.toy(["-Xperf", Self.churn, "20000", "100"], environment: Harness.cleanEnvironment())
        let pid = Int32(value("pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(value("wrong", in: outcome.stdout) == "0")
        #expect(stubs(in: outcome.stdout) == 102, "<module>, helper and one per name")
        let lines = try #require(Harness.mapLines(pid))
        let churned = lines.filter { $0.hasSuffix(":churn") }
        #expect(churned.count == 100)
        #expect(Set(churned.map { $0.split(separator: " ")[2] }).count == 100, "each name once")
    }

    /// Jitdump mode: 3,000 distinct names through one stub (the registry compacts the renamed
    /// entries on the way), one load record per name, timestamps in order, no perf map; a
    /// fork child's dump holds exactly one record per stub, under its current name.
    @Test func jitdumpModeRenamesAReleasedStub() throws {
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // No released stub kept for its own name (debug seam): every new name takes the one.
        let outcome = try Harness.toy(["-Xperf_jit", Self.churn, "3000", "3000", "fork"],
                                      environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_JITDUMP_DIR": dir,
                                                                             "PERFTRAMPOLINE_KEEP_RELEASED": "0"]))
        let pid = Int32(value("pid", in: outcome.stdout) ?? "") ?? -1
        let child = Int32(value("child pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid); Harness.removeFiles(of: child) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(value("wrong", in: outcome.stdout) == "0")
        #expect(value("child status", in: outcome.stdout) == "0")
        #expect(stubs(in: outcome.stdout) == 3, "<module>, helper and the one renamed stub")
        #expect(Harness.mapLines(pid) == nil, "jitdump mode writes no perf map (a map could not follow a rename)")

        let dump = try JitDumpReader(path: "\(dir)/jit-\(pid).dump")
        let churned = dump.loads.filter { $0.name.hasSuffix(":churn") }
        #expect(churned.map(\.name) == (0..<3000).map { "toy::f\($0):churn" })
        #expect(Set(churned.map(\.codeAddress)).count == 1, "every name got the released stub")
        #expect(Set(dump.loads.map(\.codeIndex)).count == dump.loads.count, "perf inject needs a fresh code index per load")
        #expect(zip(dump.loads, dump.loads.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
        for load in churned.prefix(3) {
            let unwind = try #require(load.unwind, "each rename carries its unwind info")
            #expect(JitDumpReader.problems(in: unwind, codeSize: Int(load.codeSize)) == [])
        }

        let childDump = try JitDumpReader(path: "\(dir)/jit-\(child).dump")
        let childNames = childDump.loads.map { String($0.name.split(separator: ":")[1]) }
        #expect(childNames.sorted() == ["<module>", "f2999", "helper", "in_child"],
                "one record per stub, under its current name: \(childNames)")
        #expect(Set(childDump.loads.map(\.codeAddress)).count == childDump.loads.count)
    }

    /// Issue 23: two names created, called and freed in turn, 1,000 rounds. Each keeps a
    /// released stub for its own name (up to the bound of 64), so the dump gets one record per
    /// name, not one per round (2,000 before), and the process two stubs for them.
    @Test func jitdumpPingPongReusesByNameInsteadOfRenaming() throws {
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = try Harness.toy(["-Xperf_jit", Self.churn, "1000", "2"],
                                      environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_JITDUMP_DIR": dir]))
        let pid = Int32(value("pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(value("wrong", in: outcome.stdout) == "0")
        #expect(stubs(in: outcome.stdout) == 4, "<module>, helper and one per name")
        let dump = try JitDumpReader(path: "\(dir)/jit-\(pid).dump")
        let churned = dump.loads.filter { $0.name.hasSuffix(":churn") }
        #expect(churned.map(\.name) == ["toy::f0:churn", "toy::f1:churn"], "\(churned.count) records")
    }

    /// Past the bound, the least recently released stub is the one renamed: 200 names in turn,
    /// then the first name again finds its stub gone (renamed) while the newest are kept.
    @Test func pastTheBoundTheOldestReleaseIsRenamed() throws {
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = try Harness.toy(["-Xperf_jit", Self.churn, "200", "200"],
                                      environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_JITDUMP_DIR": dir]))
        let pid = Int32(value("pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(stubs(in: outcome.stdout) == 2 + 64, "<module>, helper and the 64 kept")
        let dump = try JitDumpReader(path: "\(dir)/jit-\(pid).dump")
        let churned = dump.loads.filter { $0.name.hasSuffix(":churn") }
        #expect(churned.count == 200, "one record per name")
        // f64 is the first rename; it takes f0's stub, the least recently released.
        let address = Dictionary(churned.map { ($0.name, $0.codeAddress) }, uniquingKeysWith: { $1 })
        #expect(address["toy::f64:churn"] == address["toy::f0:churn"])
        #expect(address["toy::f65:churn"] == address["toy::f1:churn"])
    }

    /// A stub a perf map names keeps its name even in jitdump mode: the map has no timestamps.
    @Test func aStubInAPerfMapIsNeverRenamed() throws {
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = try Harness.toy(["-c", """
            perf_activate("perf")
            let f = compile("fn pinned(x) { return x }")[0]
            f(1)
            f = nil
            perf_activate("jitdump")
            let g = compile("fn other(x) { return x }")[0]
            g(1)
            let h = compile("fn pinned(x) { return x }")[0]
            h(1)
            print("pid", getpid())
            """], environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_JITDUMP_DIR": dir]))
        let pid = Int32(value("pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let dump = try JitDumpReader(path: "\(dir)/jit-\(pid).dump")
        let pinned = dump.loads.filter { $0.name == "toy::pinned:<compile>" }
        let other = try #require(dump.loads.first { $0.name == "toy::other:<compile>" })
        #expect(pinned.count == 1, "the same name reuses the stub without a new record")
        #expect(pinned.first?.codeAddress != other.codeAddress, "another name never takes a stub the map names")
        let map = try #require(Harness.mapLines(pid))
        #expect(map.filter { $0.hasSuffix(" toy::pinned:<compile>") }.count == 1)
    }

    /// perf record (DWARF) + perf inject --jit + perf script: samples before the reuse are
    /// alpha's, samples after it beta's, at the same address, each with its whole chain.
    @Test func perfAttributesSamplesBeforeAndAfterTheReuseToTheRightNames() throws {
        guard Perf.available() else { return }
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (samples, outcome) = try Perf.profile(Harness.toyvm, ["-Xperf_jit", Self.reuseSpin, "700"], jitdump: true,
                                                     environment: ["PERFTRAMPOLINE_KEEP_RELEASED": "0"], in: dir)
        #expect(outcome.stdout.contains("alpha ran true\nbeta ran true\n"))
        #expect(stubs(in: outcome.stdout) == 3, "<module>, spin and the stub alpha and beta share")
        let alpha = "toy::alpha:<compile>", beta = "toy::beta:<compile>", spin = "toy::spin:\(Self.reuseSpin)"
        let module = "toy::<module>:\(Self.reuseSpin)"
        let named = samples.enumerated().compactMap { position, sample -> (Int, String, [String])? in
            let frames = sample.toyFrames
            guard let leaf = frames.first, leaf == alpha || leaf == beta else { return nil }
            return (position, leaf, frames)
        }
        let alphaPositions = named.filter { $0.1 == alpha }.map(\.0)
        let betaPositions = named.filter { $0.1 == beta }.map(\.0)
        #expect(alphaPositions.count >= 100 && betaPositions.count >= 100, "alpha \(alphaPositions.count), beta \(betaPositions.count)")
        #expect((alphaPositions.max() ?? 0) < (betaPositions.min() ?? 0), "every alpha sample precedes every beta sample")
        let complete = named.filter { $0.2 == [$0.1, spin, module] }.count
        #expect(complete * 100 >= named.count * 95, "\(complete) of \(named.count) samples carry the whole chain")
    }
}
