import Foundation
import Testing

/// Issue 13: Scripts/check-snippets.py (run by Scripts/test.sh over README.md and Docs/*.md)
/// really fails on a broken snippet, and honours the fragment marker.
@Suite struct SnippetCheckTests {
    static let checker = Harness.packageRoot.appendingPathComponent("Scripts/check-snippets.py").path

    private func check(_ markdown: String) throws -> Harness.Outcome {
        let (dir, markdownPath) = try Harness.writeTemporary(markdown, name: "doc.md")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try Harness.run("/usr/bin/env", ["python3", Self.checker, "--scratch", dir + "/scratch", markdownPath])
    }

    @Test func aBrokenCSnippetFailsTheCheckWithItsLocation() throws {
        let outcome = try check("# Doc\n\n```c\n#include <perftrampoline.h>\nint broken(void) { return perftrampoline_no_such_call(); }\n```\n")
        #expect(outcome.status == 1, "\(outcome.stdout)")
        #expect(outcome.stdout.contains("doc.md:4: C snippet does not compile with gcc"), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("doc.md:4: C snippet does not compile with clang"), "\(outcome.stdout)")
    }

    @Test func aGoodCSnippetAndAMarkedFragmentPass() throws {
        let outcome = try check("""
            ```c
            #include <perftrampoline.h>
            int mode(void) { return PERFTRAMPOLINE_MODE_JITDUMP; }
            ```

            <!-- fragment: shows a shape, not a program -->
            ```c
            result = stub ? stub(vm, code, arg, evaluate) : evaluate(vm, code, arg);
            ```
            """)
        #expect(outcome.status == 0, "\(outcome.stdout)")
        #expect(outcome.stdout.contains("0 swift, 1 c compiled; 1 fragments skipped; 0 failing"), "\(outcome.stdout)")
    }

    /// Every ```toy block in README.md and Docs/*.md runs with toyvm and exits 0.
    @Test func everyToySnippetInTheDocsRuns() throws {
        let root = Harness.packageRoot
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Docs").path)
            .filter { $0.hasSuffix(".md") }.map { "Docs/" + $0 } + ["README.md"]
        var count = 0
        for doc in docs {
            let text = try String(contentsOf: root.appendingPathComponent(doc), encoding: .utf8)
            for block in text.components(separatedBy: "```toy\n").dropFirst() {
                guard let end = block.range(of: "\n```") else { continue }
                let outcome = try Harness.toy(["-c", String(block[..<end.lowerBound])], environment: Harness.cleanEnvironment())
                #expect(outcome.status == 0, "\(doc): \(outcome.stderr)")
                count += 1
            }
        }
        #expect(count >= 1)
    }
}
