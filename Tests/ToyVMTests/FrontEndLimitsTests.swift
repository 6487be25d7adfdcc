import Foundation
import Testing

/// Issue 16: hostile input to the front end and the builtins is a clean error, never a signal,
/// whatever `ulimit -s` is.
@Suite struct FrontEndLimitsTests {
    /// Runs `toyvm FILE` under `ulimit -s KB`.
    private func runLimited(_ source: String, stackKB: Int = 256) throws -> Harness.Outcome {
        let (dir, path) = try Harness.writeTemporary(source)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try Harness.run("/bin/sh", ["-c", "ulimit -s \(stackKB) && exec \"$0\" \"$1\"", Harness.toyvm, path],
                               timeLimit: 120)
    }

    static let tooDeep: [(String, String)] = [
        ("5,000 parentheses", "print(" + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + ")"),
        ("5,000 brackets", "print(" + String(repeating: "[", count: 5000) + "1" + String(repeating: "]", count: 5000) + ")"),
        ("10,000 nested calls", "fn f(x) { return x }\nprint(" + String(repeating: "f(", count: 10000) + "1"
            + String(repeating: ")", count: 10000) + ")"),
        ("20,000 nested ifs", String(repeating: "if true {\n", count: 20000) + "print(1)\n" + String(repeating: "}\n", count: 20000)),
        ("a 50,000-term sum over lines", "let x = (1" + (0..<50000).map { $0 % 10 == 0 ? " +\n1" : " + 1" }.joined() + ")\nprint(x)"),
        ("100,000 unary minus", "print(" + String(repeating: "-", count: 100_000) + "1)"),
        ("100,000 not", "print(" + String(repeating: "not ", count: 100_000) + "true)"),
    ]

    @Test(arguments: tooDeep)
    func tooDeepIsACleanSyntaxError(_ what: String, _ source: String) throws {
        let outcome = try runLimited(source)
        #expect(outcome.status == 1, "\(what): status \(outcome.status)")
        #expect(outcome.stderr.contains(": error: nesting too deep (more than 500 levels"), "\(what): \(outcome.stderr.prefix(300))")
        #expect(outcome.stderr.split(separator: "\n").count == 1)
    }

    @Test func nestingUpToTheLimitCompilesAndRunsUnderATinyStackLimit() throws {
        let parentheses = try runLimited("print(" + String(repeating: "(", count: 490) + "7" + String(repeating: ")", count: 490) + ")")
        #expect(parentheses.status == 0, "\(parentheses.stderr)")
        #expect(parentheses.stdout == "7\n")
        let blocks = try runLimited(String(repeating: "if true {\n", count: 490) + "print(2)\n" + String(repeating: "}\n", count: 490))
        #expect(blocks.stdout == "2\n", "\(blocks.stderr)")
        let sum = try runLimited("print(1" + String(repeating: " + 1", count: 495) + ")")
        #expect(sum.stdout == "496\n", "\(sum.stderr)")
    }

    /// A one-line list literal of `count` elements: compile-and-run time must grow linearly
    /// (the lexer used to rescan the line for every token's column: 67 s for 600 KB).
    @Test func longLinesTakeLinearTime() throws {
        func seconds(_ count: Int) throws -> Double {
            let source = "let x = [" + Array(repeating: "1", count: count).joined(separator: ",") + "]\nprint(len(x))"
            let start = Date()
            let outcome = try runLimited(source, stackKB: 8192)
            #expect(outcome.stdout == "\(count)\n")
            return Date().timeIntervalSince(start)
        }
        let single = try seconds(500_000)  // a 1 MB line
        let double = try seconds(1_000_000)  // a 2 MB line
        #expect(double < 3 * single, "2 MB: \(double) s, 1 MB: \(single) s (quadratic would be 4x)")
    }

    @Test(arguments: ["sleep(1e300)", "sleep(9223372036854775807)"])
    func absurdSleepIsARuntimeError(_ code: String) throws {
        let outcome = try Harness.toy(["-c", code])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("seconds is too long"), "\(outcome.stderr)")
    }

    @Test func cyclicListsPrintAndCompareLikePython() throws {
        let outcome = try Harness.toy(["-c", """
            let a = [1]
            push(a, a)
            print(a, str(a))
            let b = [1]
            push(b, b)
            let c = [2]
            push(c, c)
            print(a == b, a == a, a == c)
            """])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout == "[1, [...]] [1, [...]]\ntrue true false\n")
    }

    /// Issue 16: under an address-space limit the interpreter takes a smaller native stack and
    /// value stack instead of aborting, with and without profiling (profiling must never turn a
    /// working run into a failing one), and deep recursion is still a clean error. 280,000 KB:
    /// the limit at which a 256 MB stack still fits but left the runtime too little (a crash
    /// with Swift 6.3.1; at 300,000 with Debian's 6.2.3) before stacks were capped at a quarter
    /// of the limit (issue 22).
    @Test(arguments: [150_000, 280_000, 300_000, 999_800, 4_400_000])
    func addressSpaceLimitsDegradeCleanly(kilobytes: Int) throws {
        if let emulator = Perf.emulator {
            // The limit would bound the emulator (qemu reserves a 128 MB translation buffer
            // first), not the program.
            print("SKIP addressSpaceLimitsDegradeCleanly(\(kilobytes)): under \(emulator), ulimit -v limits the emulator")
            return
        }
        for flags in [[], ["-Xperf"]] {
            let outcome = try Harness.run("/bin/sh", ["-c", "ulimit -v \(kilobytes) && exec \"$@\"", "sh", Harness.toyvm]
                                          + flags + ["-c", "print(1)"], environment: Harness.cleanEnvironment())
            defer { Harness.reportedPids(outcome).forEach(Harness.removeFiles(of:)) }
            #expect(outcome.status == 0, "ulimit -v \(kilobytes) \(flags): \(outcome.stderr.prefix(300))")
            #expect(outcome.stdout == "1\n")
        }
        let deep = try Harness.run("/bin/sh", ["-c", "ulimit -v \(kilobytes) && exec \"$@\"", "sh", Harness.toyvm, "-c",
                                               "fn f(n) { if n == 0 { return 0 } return 1 + f(n - 1) }\nprint(f(10000000))"])
        #expect(deep.status == 1, "\(deep.stderr.prefix(300))")
        #expect(deep.stderr.contains("recursion limit exceeded"))
    }
}
