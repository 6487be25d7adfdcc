import Foundation
import Testing

/// Issue 13: Examples/SwiftEmbedding, a separate package that depends on this one by path, as
/// a user's interpreter would by URL. `Scripts/test.sh` builds it (release, default traits: no
/// libffi) and passes the binary in `PERFTRAMPOLINE_SWIFT_EMBEDDING`; without it the suite skips
/// visibly (a failure under `PERFTRAMPOLINE_REQUIRE_PERF=1`).
@Suite(.serialized, .tags(.recordsWithPerf)) struct SwiftEmbeddingTests {
    static let binary = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_SWIFT_EMBEDDING"]
    static let chain = ["tokenize", "parse", "main_loop"].map { "swiftdemo::\($0):Examples/SwiftEmbedding/main.swift" }

    static func built() -> String? {
        if let binary, FileManager.default.isExecutableFile(atPath: binary) { return binary }
        let message = "SKIP SwiftEmbeddingTests: PERFTRAMPOLINE_SWIFT_EMBEDDING is not the built example (Scripts/test.sh sets it)"
        if Perf.required { Issue.record("\(message), and PERFTRAMPOLINE_REQUIRE_PERF=1") } else { print(message) }
        return nil
    }

    @Test func perfNamesTheSwiftHostsFunctionsWithTheirChain() throws {
        guard Perf.available(), let binary = Self.built() else { return }
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = dir + "/perf.data"
        let record = try Harness.run(Perf.path!, ["record", "-q", "-F", "999", "-g", "-o", data, "--", binary, "-Xperf", "300"],
                                     environment: Harness.cleanEnvironment([:]))
        let pid = Harness.reportedPids(record).last ?? -1
        defer { Harness.removeFiles(of: pid) }
        #expect(record.status == 0, "\(record.stderr)")
        #expect(record.stdout.contains("mode perfMap"), "\(record.stdout)")
        let script = try Harness.run(Perf.path!, ["script", "-i", data], directory: dir)
        let named = Sample.parse(script.stdout).map { $0.frames(prefixed: "swiftdemo::") }
        let naming = named.filter { $0.first == Self.chain[0] }
        #expect(naming.count >= 50, "\(naming.count) samples name tokenize")
        #expect(Double(naming.filter { $0 == Self.chain }.count) >= 0.99 * Double(naming.count))
    }

    @Test func withoutTheFlagTheResultIsTheSameAndNothingIsNamed() throws {
        guard let binary = Self.built() else { return }
        let plain = try Harness.run(binary, ["3"], environment: Harness.cleanEnvironment([:]))
        let profiled = try Harness.run(binary, ["-Xperf", "3"], environment: Harness.cleanEnvironment([:]))
        defer { (Harness.reportedPids(plain) + Harness.reportedPids(profiled)).forEach(Harness.removeFiles(of:)) }
        #expect(plain.stdout.contains("total 8999991 mode off"))
        #expect(profiled.stdout.contains("total 8999991 mode perfMap"))
        #expect(Harness.mapLines(Harness.reportedPids(plain).last ?? -1) == nil)
        #expect(Harness.mapLines(Harness.reportedPids(profiled).last ?? -1)?.count == 3)
    }

    /// Issue 14, through the Swift API: an entry of another code generator written before a
    /// fork, then one from the child: the child's goes to the child's own map only.
    @Test func externalEntriesAfterForkGoToTheChildsOwnMap() throws {
        guard let binary = Self.built() else { return }
        let outcome = try Harness.run(binary, ["--fork-entry"], environment: Harness.cleanEnvironment([:]))
        let parent = Int32(ForkTests.value("pid", in: outcome.stdout) ?? "") ?? -1
        let child = Int32(ForkTests.value("child pid", in: outcome.stdout) ?? "") ?? -1
        defer { Harness.removeFiles(of: parent); Harness.removeFiles(of: child) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("child status 0"))
        let parentNames: [String] = Harness.mapNames(parent)
        let childNames: [String] = Harness.mapNames(child)
        #expect(parentNames == ["jit::parent_entry"])
        #expect(childNames == ["jit::parent_entry", "jit::child_entry"])
    }
}
