import Foundation
import Testing
import TestSupport

@Suite(.tags(.backendSensitive)) struct LanguageTests {
    static func program(_ name: String) -> String { Harness.programs.appendingPathComponent(name).path }

    @Test func languageProgramPrintsTheExpectedOutput() throws {
        let outcome = try Harness.toy([Self.program("language.toy")])
        let expected = try String(contentsOfFile: Self.program("language.expected"), encoding: .utf8)
        #expect(outcome.status == 0)
        #expect(outcome.stderr.isEmpty)
        #expect(outcome.stdout == expected)
    }

    @Test func argvHoldsTheScriptArguments() throws {
        let outcome = try Harness.toy(["-c", "print(argv, len(argv))", "a b", "-Xperf", "3"])
        #expect(outcome.stdout == "[\"a b\", \"-Xperf\", \"3\"] 3\n")
    }

    @Test func forkFlushesAndWaitReturnsTheStatus() throws {
        let code = """
            print("before fork")
            let pid = fork()
            if pid == 0 {
                print("child")
                exit(7)
            }
            print("child status", wait(pid))
            """
        let outcome = try Harness.toy(["-c", code])
        #expect(outcome.status == 0)
        #expect(outcome.stdout == "before fork\nchild\nchild status 7\n")
    }

    @Test func exitFlushesAndSetsTheStatus() throws {
        let outcome = try Harness.toy(["-c", "print(\"bye\")\nexit(3)\nprint(\"never\")"])
        #expect(outcome.status == 3)
        #expect(outcome.stdout == "bye\n")
    }

    @Test func sleepAcceptsIntsAndFloats() throws {
        let outcome = try Harness.toy(["-c", "let t = clock()\nsleep(0.05)\nsleep(0)\nprint(clock() - t >= 0.05)"])
        #expect(outcome.stdout == "true\n")
    }
}

/// Error formats and exit statuses of TOY-LANGUAGE.md.
@Suite(.tags(.backendSensitive)) struct ErrorTests {
    @Test func syntaxErrorHasFileLineColumnAndRunsNothing() throws {
        let (dir, path) = try Harness.writeTemporary("print(\"ran\")\nlet x = (1 +\nprint(x)\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = try Harness.toy([path])
        #expect(outcome.status == 1)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr == "\(path):2:9: error: '(' was never closed\n")
        #expect(outcome.stderr.split(separator: "\n").count == 1)
    }

    @Test(arguments: [
        ("fn f() {\n  fn g() {}\n}", 2, 3, "functions may be defined only at top level"),
        ("let = 3", 1, 5, "expected a name after 'let'"),
        ("print(\"unterminated)", 1, 7, "unterminated string literal"),
        ("x = @", 1, 5, "unexpected character '@'"),
        ("return 1", 1, 1, "'return' outside a function"),
        ("let x = 99999999999999999999", 1, 9, "does not fit in 64 bits"),
    ])
    func syntaxErrors(source: String, line: Int, column: Int, message: String) throws {
        let outcome = try Harness.toy(["-c", source])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.hasPrefix("<string>:\(line):\(column): error: "), "\(outcome.stderr)")
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
    }

    @Test func runtimeErrorHasTracebackInnermostLast() throws {
        let source = "fn inner(x) {\n    return x / 0\n}\nfn outer() {\n    return inner(1)\n}\nprint(\"start\")\nouter()\n"
        let (dir, path) = try Harness.writeTemporary(source)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = try Harness.toy([path])
        #expect(outcome.status == 1)
        #expect(outcome.stdout == "start\n")
        #expect(outcome.stderr == """
            \(path):2: error: division by zero
              at <module> (\(path):8)
              at outer (\(path):5)
              at inner (\(path):2)

            """)
    }

    @Test(arguments: [
        ("fn f(a) { return a }\nf(1, 2)", "f() takes 1 argument but 2 were given"),
        ("let x = 3\nx(1)", "cannot call a value of type int"),
        ("print(nope)", "undefined variable 'nope'"),
        ("nope = 1", "assignment to undefined variable 'nope'"),
        ("let xs = [1]\nprint(xs[1])", "index 1 out of range for list of length 1"),
        ("let xs = [1]\nxs[-1] = 0", "index -1 out of range"),
        ("print(9223372036854775807 + 1)", "integer overflow in '+'"),
        ("print(-9223372036854775807 - 2)", "integer overflow in '-'"),
        ("print(3 * 9223372036854775807)", "integer overflow in '*'"),
        ("print(1 % 0)", "modulo by zero"),
        ("print(1.5 / 0)", "division by zero"),
        ("print(\"a\" + 1)", "unsupported operand types for '+': string and int"),
        ("print(\"a\" < 1)", "cannot compare string and int"),
        ("print(int(\"12x\"))", "int() cannot parse \"12x\""),
        ("print(len(3))", "len() of a value of type int"),
        ("push(1, 2)", "push() needs a list"),
        ("print(len())", "len() takes 1 argument but 0 were given"),
    ])
    func runtimeErrorsAreCleanNeverCrashes(source: String, message: String) throws {
        let outcome = try Harness.toy(["-c", source])
        #expect(outcome.status == 1, "\(source): \(outcome.stderr)")
        let first = outcome.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("<string>:"), "\(first)")
        #expect(first.contains("error: \(message)"), "\(first)")
        #expect(outcome.stderr.contains("  at <module> (<string>:"))
    }

    @Test func recursionPastTheLimitIsACleanError() throws {
        let outcome = try Harness.toy(["-Xperf", "-c", "fn down(n) { return 1 + down(n + 1) }\nprint(\"pid\", getpid())\ndown(0)"])
        defer { Harness.removeFiles(of: PerfMapTests.pid(in: outcome.stdout)) }
        #expect(outcome.status == 1, "must exit with status 1, not a signal")
        #expect(outcome.stderr.hasPrefix("<string>:1: error: recursion limit exceeded"))
        #expect(outcome.stderr.contains("more frames"))
        #expect(outcome.stderr.split(separator: "\n").count < 60)
    }

    @Test func hundredThousandNestedCallsWorkWithProfilingOn() throws {
        let source = "fn down(n) {\n if n == 0 { return 0 }\n return 1 + down(n - 1)\n}\nprint(down(100000))\nprint(\"pid\", getpid())"
        let outcome = try Harness.toy(["-Xperf", "-c", source])
        defer { Harness.removeFiles(of: PerfMapTests.pid(in: outcome.stdout)) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.hasPrefix("100000\n"))
    }

    @Test(arguments: [
        (["--bogus"], "unknown option '--bogus'"),
        (["-X", "nope", "x.toy"], "unknown -X option 'nope'"),
        (["-Xfoo", "x.toy"], "unknown -X option 'foo'"),
        ([], "missing FILE"),
        (["-c"], "-c needs a program text"),
        (["/nonexistent/dir/prog.toy"], "cannot read '/nonexistent/dir/prog.toy'"),
    ])
    func usageErrorsExitWithTwo(arguments: [String], message: String) throws {
        let outcome = try Harness.toy(arguments)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.hasPrefix("toyvm: error: \(message)"), "\(outcome.stderr)")
    }

    @Test func helpAndVersion() throws {
        let help = try Harness.toy(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("-Xperf"))
        let version = try Harness.toy(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("toyvm "))
    }
}
