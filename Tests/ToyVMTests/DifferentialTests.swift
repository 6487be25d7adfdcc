import Foundation
import Testing
import TestSupport

/// Every example and test program prints the same and exits the same with and without profiling.
@Suite(.tags(.backendSensitive)) struct DifferentialTests {
    static let scripts: [String] = {
        let fm = FileManager.default
        var paths: [String] = []
        for dir in [Harness.examples, Harness.programs] {
            let names = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
            paths += names.filter { $0.hasSuffix(".toy") }.sorted().map { dir.appendingPathComponent($0).path }
        }
        return paths
    }()

    /// Lines that legitimately differ between runs: process ids, and `[perf-state]` lines that
    /// print whether profiling is on.
    static func stable(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { line in !["pid ", "child pid ", "children pids ", "[perf-state]"].contains { line.hasPrefix($0) } }
            .joined(separator: "\n")
    }

    @Test func thereAreScriptsToCompare() {
        #expect(Self.scripts.count >= 8)
    }

    @Test(arguments: scripts)
    func sameOutputWithAndWithoutPerf(script: String) throws {
        let plain = try Harness.toy([script])
        let profiled = try Harness.toy(["-Xperf", script])
        let viaEnv = try Harness.toy([script], environment: Harness.cleanEnvironment(["PERFSUPPORT": "1"]))
        defer {
            for outcome in [plain, profiled, viaEnv] { Harness.reportedPids(outcome).forEach(Harness.removeFiles(of:)) }
        }
        #expect(plain.status == profiled.status)
        #expect(plain.status == viaEnv.status)
        #expect(Self.stable(plain.stdout) == Self.stable(profiled.stdout))
        #expect(Self.stable(plain.stdout) == Self.stable(viaEnv.stdout))
        #expect(plain.stderr == profiled.stderr)
    }
}
