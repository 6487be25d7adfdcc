import Foundation
import Testing

/// Hostile script paths and names through toyvm: every map line parses as `hex hex name`,
/// one line per stub.
@Suite struct HostileInputTests {
    @Test(arguments: ["with space", "new\nline", "carriage\rreturn", "tab\there", "ünïcödé", "quote\"and'apos"])
    func hostileScriptPaths(directoryName: String) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("toyvm-hostile-\(UUID().uuidString)")
        let dir = base.appendingPathComponent(directoryName)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let path = dir.appendingPathComponent("prog \(directoryName).toy").path
        try "fn f() { return 1 }\nf()\nprint(\"pid\", getpid())\n".write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = try Harness.toy(["-Xperf", path])
        defer { Harness.reportedPids(outcome).forEach(Harness.removeFiles(of:)) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = try #require(Harness.mapLines(outcome.pid))
        #expect(lines.count == 2, "one line per stub: \(lines)")
        PerfMapTests.expectWellFormed(lines)
        #expect(lines.allSatisfy { !$0.contains("\r") && !$0.contains("\t") })
    }

    @Test func invalidUTF8InThePath() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("toyvm-hostile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        // A file name with bytes 0xFF 0xFE, created and run through the shell so the bytes survive.
        let script = "p=\"\(base)/bad$(printf '\\377\\376').toy\"; printf 'fn f() { return 1 }\\nf()\\n' > \"$p\"; exec \(Harness.toyvm) -Xperf \"$p\""
        let outcome = try Harness.run("/bin/sh", ["-c", script])
        defer { Harness.removeFiles(of: outcome.pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: Harness.mapPath(outcome.pid)))
        let text = try #require(String(data: data, encoding: .utf8), "the map must be valid UTF-8")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        PerfMapTests.expectWellFormed(lines)
    }

    @Test func megabyteFunctionNameIsCappedToOneLine() throws {
        let name = String(repeating: "n", count: 1 << 20)
        let (dir, path) = try Harness.writeTemporary("fn \(name)() { return 7 }\nprint(\(name)())\nprint(\"pid\", getpid())\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = try Harness.toy(["-Xperf", path])
        defer { Harness.reportedPids(outcome).forEach(Harness.removeFiles(of:)) }
        #expect(outcome.status == 0)
        #expect(outcome.stdout.hasPrefix("7\n"))
        let lines = try #require(Harness.mapLines(outcome.pid))
        #expect(lines.count == 2)
        PerfMapTests.expectWellFormed(lines)
        #expect(lines.allSatisfy { $0.utf8.count < 4200 })
    }
}
