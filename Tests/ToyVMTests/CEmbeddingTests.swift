import Foundation
import Testing

/// The C example embeds the library through the C API; perf names its functions.
@Suite(.serialized, .tags(.recordsWithPerf)) struct CEmbeddingTests {
    static let file = "Examples/CEmbedding/main.c"

    @Test func perfNamesTheCInterpretersFunctionsWithTheirChain() throws {
        guard Perf.available() else { return }
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = dir + "/perf.data"
        let record = try Harness.run(Perf.path!, ["record", "-q", "-F", "999", "-g", "-o", data, "--",
                                                  Harness.cExample, "-Xperf", "300"])
        let pid = Harness.reportedPids(record).last ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(record.status == 0, "\(record.stderr)")
        #expect(record.stdout.contains("mode 1"))
        #expect(record.stdout.contains("stubs=3"))
        let script = try Harness.run(Perf.path!, ["script", "-i", data], directory: dir)
        let samples = Sample.parse(script.stdout)
        let chain = ["cdemo::tokenize:\(Self.file)", "cdemo::parse:\(Self.file)", "cdemo::main_loop:\(Self.file)"]
        let named = samples.map { $0.frames(prefixed: "cdemo::") }
        let naming = named.filter { $0.first == chain[0] }
        #expect(naming.count >= 50, "\(naming.count) of \(samples.count) samples name tokenize")
        #expect(Double(naming.filter { $0 == chain }.count) >= 0.99 * Double(naming.count))
    }

    @Test func withoutTheFlagNothingIsNamedAndTheResultIsTheSame() throws {
        let plain = try Harness.run(Harness.cExample, ["3"])
        let profiled = try Harness.run(Harness.cExample, ["-Xperf", "3"])
        defer { Harness.reportedPids(plain).forEach(Harness.removeFiles(of:)); Harness.reportedPids(profiled).forEach(Harness.removeFiles(of:)) }
        #expect(plain.stdout.contains("total 8999991 calls 9 mode 0"))
        #expect(profiled.stdout.contains("total 8999991 calls 9 mode 1"))
        #expect(Harness.mapLines(Harness.reportedPids(plain).last ?? -1) == nil)
        #expect(Harness.mapLines(Harness.reportedPids(profiled).last ?? -1)?.count == 3)
    }

    /// Issue 13: a host that sets no logger gets one plain line per problem, label once.
    @Test func aSetupFailureIsOnePlainLineOnStderr() throws {
        if ProcessInfo.processInfo.environment["PERFTRAMPOLINE_C_EXAMPLE"].map({ !$0.isEmpty }) == true {
            // The fault seam exists in debug builds only (InstalledLibraryTests.releaseBuildsIgnoreTheFaultSeam).
            print("SKIP aSetupFailureIsOnePlainLineOnStderr: PERFTRAMPOLINE_C_EXAMPLE is a release build, without the fault seam")
            return
        }
        let outcome = try Harness.run(Harness.cExample, ["-Xperf", "1"],
                                      environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_FAULT": "mmap"]))
        defer { Harness.reportedPids(outcome).forEach(Harness.removeFiles(of:)) }
        #expect(outcome.stderr == "perftrampoline: warning: perf support disabled: mmap failed: Cannot allocate memory\n")
        #expect(outcome.stdout.contains("total 2999997 calls 3 mode 0"), "\(outcome.stdout)")
    }
}
