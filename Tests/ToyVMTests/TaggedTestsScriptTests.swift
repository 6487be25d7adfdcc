import Foundation
import Testing

/// Issue 14: Scripts/test.sh selects the backend and sanitizer passes by tag through
/// Scripts/tagged-tests.py; a tag nothing carries is an error, not an empty selection.
@Suite struct TaggedTestsScriptTests {
    static let script = Harness.packageRoot.appendingPathComponent("Scripts/tagged-tests.py").path

    @Test func selectsTaggedSuitesAndTestsAndRejectsAnUnknownTag() throws {
        let backend = try Harness.run("/usr/bin/env", ["python3", Self.script, "backendSensitive"])
        #expect(backend.status == 0)
        let names = backend.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|")
        #expect(names.contains("PerfSupportTests/") && names.contains("DifferentialTests/") && names.contains("ErrorTests/"))
        #expect(!names.contains("LuaTests/"))
        let skipped = try Harness.run("/usr/bin/env", ["python3", Self.script, "forksOrSpawns", "soak"])
        #expect(skipped.stdout.contains("millionCodeObjects\\("), "\(skipped.stdout)")
        let unknown = try Harness.run("/usr/bin/env", ["python3", Self.script, "noSuchTag"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no suite or test under Tests/ is tagged noSuchTag"))
    }
}
