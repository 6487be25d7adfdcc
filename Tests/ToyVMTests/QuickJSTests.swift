import Foundation
import Testing

/// Issue 25: QuickJS 2025-04-26 (Debian sid's source,
/// Examples/QuickJS/quickjs-perftrampoline.patch) built against the installed library: a
/// recursive evaluator (one `JS_CallInternal` per JS call), where Lua's is not.
/// `Scripts/test.sh` builds it with Examples/QuickJS/build.sh and passes the directory in
/// `PERFTRAMPOLINE_QUICKJS_DIR`; without it the suite skips visibly (a failure under
/// `PERFTRAMPOLINE_REQUIRE_PERF=1`).
@Suite(.serialized, .tags(.recordsWithPerf)) struct QuickJSTests {
    static let directory = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_QUICKJS_DIR"]
    static let programs = Harness.packageRoot.appendingPathComponent("Examples/QuickJS")

    static func built() -> (qjs: String, plain: String, directory: String)? {
        if let directory, FileManager.default.isExecutableFile(atPath: directory + "/qjs") {
            return (directory + "/qjs", directory + "/qjs-plain", directory)
        }
        let message = "SKIP QuickJSTests: PERFTRAMPOLINE_QUICKJS_DIR does not hold the patched QuickJS (Scripts/test.sh builds it)"
        if Perf.required { Issue.record("\(message), and PERFTRAMPOLINE_REQUIRE_PERF=1") } else { print(message) }
        return nil
    }

    static func program(_ name: String) -> String { programs.appendingPathComponent(name).path }

    /// Every sample whose leaf JS function is foo has bar and baz below it, with frame pointers
    /// (`perf record -g`) and with a jitdump and DWARF unwinding (`perf inject --jit`).
    @Test(arguments: ["perf", "jitdump"])
    func perfNamesTheJSChain(mode: String) throws {
        guard Perf.available(), let qjs = Self.built()?.qjs else { return }
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = Self.program("chain.js")
        let samples = try Perf.profile(qjs, [file, "30"], jitdump: mode == "jitdump",
                                       environment: ["PERFSUPPORT": mode == "perf" ? "1" : "jitdump"], in: dir).samples
        let chain = [("foo", 3), ("bar", 8), ("baz", 9)].map { "js::\($0.0):\(file):\($0.1)" }
        let named = samples.map { $0.frames(prefixed: "js::") }
        let naming = named.filter { $0.first == chain[0] }
        let complete = naming.filter { Array($0.prefix(3)) == chain }.count
        print("QuickJS \(mode): \(naming.count) samples name foo, \(complete) carry foo <- bar <- baz")
        #expect(naming.count >= 100, "\(naming.count) samples name foo; e.g. \(named.first { !$0.isEmpty } ?? [])")
        #expect(Double(complete) >= 0.95 * Double(naming.count), "\(complete) of \(naming.count) full chains")
    }

    /// QuickJS's own tests, as its `make test` runs them (test_bjson.js and
    /// examples/test_point.js load the C modules the build script builds): each passes (exit 0,
    /// nothing on stderr) with the patched qjs, profiling off, perf map and jitdump.
    static let ownTests: [(directory: String, arguments: [String])] = [
        ("tests", ["test_closure.js"]), ("tests", ["test_language.js"]), ("tests", ["--std", "test_builtin.js"]),
        ("tests", ["test_loop.js"]), ("tests", ["test_bigint.js"]), ("tests", ["test_std.js"]),
        ("tests", ["test_worker.js"]), ("tests", ["test_cyclic_import.js"]), ("tests", ["test_bjson.js"]),
        ("examples", ["test_point.js"]),
    ]

    @Test(arguments: ["0", "1", "jitdump"])
    func quickJSOwnTestsPass(setting: String) throws {
        guard let (qjs, plain, directory) = Self.built() else { return }
        for test in Self.ownTests {
            let where_ = directory + "/" + test.directory
            let name = test.arguments.joined(separator: " ")
            if setting == "0" {  // the reference: the tests themselves pass unpatched
                let reference = try Self.runWithOpenInput(plain, test.arguments, environment: Harness.cleanEnvironment(),
                                                          directory: where_)
                #expect(reference.status == 0 && reference.stderr.isEmpty, "qjs-plain \(name): \(reference.stderr)")
            }
            // The dump in /tmp (removed by pid): anywhere else is one warning (JitDumpTests).
            let before = Self.profilingFiles()
            let outcome = try Self.runWithOpenInput(qjs, test.arguments, environment: Harness.cleanEnvironment(["PERFSUPPORT": setting]),
                                                    directory: where_)
            Harness.removeFiles(of: outcome.pid)
            Self.removeFilesOfForkedChildren(newSince: before)
            #expect(outcome.status == 0, "PERFSUPPORT=\(setting) \(name): status \(outcome.status), \(outcome.stderr)")
            #expect(outcome.stderr.isEmpty, "PERFSUPPORT=\(setting) \(name): \(outcome.stderr)")
        }
        print("QuickJS: \(Self.ownTests.count) of QuickJS's own tests pass with PERFSUPPORT=\(setting)")
    }

    /// The perf maps and jitdumps in /tmp, by file name.
    static func profilingFiles() -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { pid(ofProfilingFile: $0) != nil })
    }

    static func pid(ofProfilingFile name: String) -> Int32? {
        for (prefix, suffix) in [("perf-", ".map"), ("jit-", ".dump")] where name.hasPrefix(prefix) && name.hasSuffix(suffix) {
            return Int32(name.dropFirst(prefix.count).dropLast(suffix.count))
        }
        return nil
    }

    /// test_std.js forks (os.exec): with profiling on, each child writes its own map (and dump)
    /// with the parent's entries at fork (Docs/fork.md), under a pid the test never sees. Removed:
    /// the files that appeared during the run, of processes no longer running, naming js::
    /// functions (no other program names its functions so), by pid with Harness.removeFiles.
    static func removeFilesOfForkedChildren(newSince before: Set<String>) {
        for name in profilingFiles().subtracting(before) {
            guard let pid = pid(ofProfilingFile: name), kill(pid, 0) != 0, errno == ESRCH,
                  let contents = FileManager.default.contents(atPath: "/tmp/" + name),
                  contents.range(of: Data("js::".utf8)) != nil else { continue }
            Harness.removeFiles(of: pid)
        }
    }

    /// `Harness.run` for test_std.js, which starts `cat` with os.exec and expects it to die of
    /// the SIGTERM it sends: stdin is an open, empty pipe (closed once the child has exited), so
    /// `cat` is still reading (with /dev/null it exits 0 first), and the child is spawned from a
    /// thread of its own with no signal blocked (a child inherits its spawning thread's mask,
    /// and the test runner's worker threads block SIGTERM: `cat` would never die). Killed after
    /// five minutes.
    static func runWithOpenInput(_ executable: String, _ arguments: [String], environment: [String: String],
                                 directory: String) throws -> Harness.Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let input = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = input
        process.standardOutput = out
        process.standardError = err
        let launched = LaunchResult()
        let spawner = Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            do { try process.run(); launched.finish(nil) } catch { launched.finish(error) }
        }
        spawner.start()
        if let error = launched.wait() { throw error }
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 300) { if process.isRunning { kill(pid, SIGKILL) } }
        let errData = LockedData()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        return Harness.Outcome(stdout: String(decoding: outData, as: UTF8.self),
                               stderr: String(decoding: errData.wait(), as: UTF8.self),
                               status: process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus,
                               pid: pid)
    }

    /// Exceptions through trampolines, stack overflow as an error, generators and async
    /// functions, closures, a JS comparator in sort, classes, Proxy traps, functions created
    /// and collected in a loop: the patched qjs prints what plain qjs prints, off and on.
    @Test(arguments: ["behaviour.js", "chain.js"])
    func patchedQuickJSComputesWhatPlainQuickJSComputes(program: String) throws {
        guard let (qjs, plain, _) = Self.built() else { return }
        let arguments = [Self.program(program)] + (program == "chain.js" ? ["3"] : [])
        let reference = try Harness.run(plain, arguments)
        #expect(reference.status == 0, "\(reference.stderr)")
        #expect(!reference.stdout.isEmpty)
        for setting in ["0", "1", "jitdump"] {
            let outcome = try Harness.run(qjs, arguments, environment: Harness.cleanEnvironment(["PERFSUPPORT": setting]))
            Harness.removeFiles(of: outcome.pid)
            #expect(outcome.status == 0, "PERFSUPPORT=\(setting): \(outcome.stderr)")
            #expect(outcome.stdout == reference.stdout, "PERFSUPPORT=\(setting)")
            #expect(outcome.stderr.isEmpty, "PERFSUPPORT=\(setting): \(outcome.stderr)")
        }
        print("QuickJS \(program): same output as plain qjs with PERFSUPPORT=0, 1 and jitdump")
    }

    @Test func thePerfObjectSwitchesAtRunTime() throws {
        guard let qjs = Self.built()?.qjs else { return }
        let outcome = try Harness.run(qjs, ["-e", """
            function before() { return 1; }
            before();
            console.log(perf.is_active());
            console.log(perf.activate("perf"));
            function during() { return 2; }
            during();
            perf.deactivate();
            console.log(perf.is_active(), perf.status().match(/stubs=\\d+/)[0]);
            """], environment: Harness.cleanEnvironment())
        defer { Harness.removeFiles(of: outcome.pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout == "false\ntrue\nfalse stubs=1\n", "\(outcome.stdout)")
        let names = (Harness.mapLines(outcome.pid) ?? []).compactMap { $0.split(separator: " ", maxSplits: 2).last }
        #expect(names.count == 1 && names[0].hasPrefix("js::during:"), "\(names)")
    }

    /// The patch releases a function's trampoline when QuickJS frees its bytecode
    /// (free_function_bytecode). 20,000 functions from `new Function` over 10 names stay at a
    /// few stubs in perf-map mode; in jitdump mode 20,000 distinct names do too.
    @Test(arguments: ["1", "jitdump"])
    func freedFunctionsGiveTheirTrampolinesBack(setting: String) throws {
        guard let qjs = Self.built()?.qjs else { return }
        let names = setting == "1" ? "i % 10" : "i"
        let outcome = try Harness.run(qjs, ["--std", "-e", """
            let sum = 0;
            for (let i = 1; i <= 20000; i++) {
              const f = new Function("return function gen" + (\(names)) + "(x) { return x + 1; }")();
              sum += f(i);
              if (i % 500 == 0) std.gc();
            }
            console.log(sum, perf.status().match(/stubs=\\d+/)[0]);
            """], environment: Harness.cleanEnvironment(["PERFSUPPORT": setting]))
        defer { Harness.removeFiles(of: outcome.pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let fields = outcome.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
        #expect(fields.first == "200030000", "\(outcome.stdout)")
        let stubs = fields.count > 1 ? Int(fields[1].dropFirst(6)) ?? .max : .max
        print("QuickJS PERFSUPPORT=\(setting): 20,000 functions from new Function, \(stubs) stubs")
        #expect(stubs <= 200, "without release: 40,000 stubs; with it: \(stubs)")
        if setting == "1" {
            let lines = Harness.mapLines(outcome.pid) ?? []
            #expect(lines.count == stubs, "one line per stub, never a second name for an address")
            #expect(Set(lines.map { $0.split(separator: " ")[0] }).count == lines.count)
        }
    }
}

/// The outcome of a launch on another thread.
private final class LaunchResult: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var error: Error?
    func finish(_ error: Error?) { lock.lock(); self.error = error; lock.unlock(); done.signal() }
    func wait() -> Error? { done.wait(); lock.lock(); defer { lock.unlock() }; return error }
}
