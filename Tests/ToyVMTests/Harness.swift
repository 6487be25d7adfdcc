import FlameGraph
import Foundation
import TestSupport
import Testing

/// Runs `toyvm` (and perf) as child processes and cleans up only what they made.
enum Harness {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let programs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Programs")
    static let examples = packageRoot.appendingPathComponent("Examples")

    /// `$TOYVM`, or the `toyvm` built next to this test bundle.
    static let toyvm: String = {
        if let explicit = ProcessInfo.processInfo.environment["TOYVM"] { return explicit }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("toyvm").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return packageRoot.appendingPathComponent(".build/debug/toyvm").path
    }()

    /// The C embedding example, built next to toyvm; or, in `PERFTRAMPOLINE_C_EXAMPLE`, the same
    /// source built with `cc` against an installed library (Scripts/test.sh's Embedded pass).
    static let cExample = builtNextToToyVM("CEmbeddingExample", unless: "PERFTRAMPOLINE_C_EXAMPLE")

    /// The fork probe (Tests/ForkProbe), likewise (`PERFTRAMPOLINE_FORK_PROBE`).
    static let forkProbe = builtNextToToyVM("ForkProbe", unless: "PERFTRAMPOLINE_FORK_PROBE")

    private static func builtNextToToyVM(_ product: String, unless variable: String) -> String {
        if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty { return path }
        return URL(fileURLWithPath: toyvm).deletingLastPathComponent().appendingPathComponent(product).path
    }

    /// An executable on PATH (or in the Swift toolchain's directory), or nil.
    static func which(_ name: String) -> String? { Tools.find(name) }

    /// Tests/StackLayoutProbe: a thread stack right below the jitdump arena.
    static let stackLayoutProbe: String = URL(fileURLWithPath: toyvm).deletingLastPathComponent()
        .appendingPathComponent("StackLayoutProbe").path

    struct Outcome {
        let stdout: String
        let stderr: String
        let status: Int32
        let pid: Int32
    }

    /// The environment of the tests minus anything that would switch profiling on.
    static func cleanEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PERFSUPPORT"] = nil
        environment["PERFTRAMPOLINE_FAULT"] = nil
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Runs a child to completion; with `timeLimit`, a child still running then is killed
    /// (status 137), so a looping program cannot stall the suite. The kill goes to the child's
    /// process group (Foundation starts it as a group leader), so a process the child forked
    /// that still holds the output pipes cannot stall it either.
    ///
    /// A map or dump under the child's pid that it never wrote is removed once it exits: pids
    /// wrap here (pid_max 32768), and a file left by a killed process of an earlier test (or run)
    /// with the same pid would otherwise pass for the child's.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    directory: String? = nil, timeLimit: Double? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment ?? cleanEnvironment()
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let spawned = Date()
        try process.run()
        let pid = process.processIdentifier
        let finished = LockedFlag()
        if let timeLimit {
            DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit) {
                guard !finished.value else { return }
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
            }
        }
        defer { finished.value = true }
        // Read both pipes concurrently so that neither can fill up and block the child.
        let errData = LockedData()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        removeStaleFiles(of: pid, before: spawned)
        let errBytes = errData.wait()
        return Outcome(stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errBytes, as: UTF8.self),
                       status: process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus,
                       pid: pid)
    }

    static func toy(_ arguments: [String], environment: [String: String]? = nil) throws -> Outcome {
        try run(toyvm, arguments, environment: environment)
    }

    static func mapPath(_ pid: Int32) -> String { "/tmp/perf-\(pid).map" }
    static func dumpPath(_ pid: Int32) -> String { "/tmp/jit-\(pid).dump" }

    /// Reads `pipe` (blocking, no polling) until a whole line starting with `prefix` arrives.
    /// Returns everything read so far (that line included), or nil at end of file (the writer
    /// exited without printing it).
    @discardableResult
    static func waitForLine(startingWith prefix: String, in pipe: Pipe) -> String? {
        var pending = Data()
        while true {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            pending += chunk
            let text = String(decoding: pending, as: UTF8.self)
            if text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().contains(where: { $0.hasPrefix(prefix) }) {
                return text
            }
        }
    }

    /// The map of `pid` as lines, or nil if there is none.
    static func mapLines(_ pid: Int32) -> [String]? {
        guard let text = try? String(contentsOfFile: mapPath(pid), encoding: .utf8) else { return nil }
        return text.split(separator: "\n").map(String.init)
    }

    /// The symbol names of `pid`'s perf map (the last field of each line), in file order;
    /// empty when there is no map.
    static func mapNames(_ pid: Int32) -> [String] {
        (mapLines(pid) ?? []).map { (line: String) -> String in
            guard let last = line.split(separator: " ").last else { return "" }
            return String(last)
        }
    }

    /// perf inject's ELF images for one process's dump in /tmp (`jitted-PID-N.so`).
    static func jittedImages(of pid: Int32) -> [String] {
        let prefix = "jitted-\(pid)-"
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? [])
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".so") }.map { "/tmp/" + $0 }
    }

    /// Deletes the map and jitdump files of one process we started, and the images perf
    /// inject made of its dump — never a glob beyond that pid.
    /// Removes `pid`'s map and dump if last written before `date` (a tenth of a second of
    /// slack: file times come from the kernel's coarse clock).
    static func removeStaleFiles(of pid: Int32, before date: Date) {
        for path in [mapPath(pid), dumpPath(pid)] {
            guard let written = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                  written < date.addingTimeInterval(-0.1) else { continue }
            unlink(path)
        }
    }

    static func removeFiles(of pid: Int32) {
        guard pid > 0 else { return }
        unlink(mapPath(pid))
        unlink(dumpPath(pid))
        jittedImages(of: pid).forEach { unlink($0) }
    }

    /// Every pid a test program reports (`pid N`, `child pid N`, `children pids [a, b]`),
    /// plus the process itself: all the processes whose files a test may delete.
    static func reportedPids(_ outcome: Outcome) -> [Int32] {
        var pids = [outcome.pid]
        for line in outcome.stdout.split(separator: "\n") {
            for prefix in ["pid ", "child pid ", "children pids "] where line.hasPrefix(prefix) {
                let digits = line.dropFirst(prefix.count).split { !$0.isNumber }
                pids += digits.compactMap { Int32($0) }
            }
        }
        return pids
    }

    static func writeTemporary(_ source: String, name: String = "program.toy") throws -> (dir: String, path: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("toyvm-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        return (dir.path, path)
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private let finished = DispatchSemaphore(value: 0)
    private var data = Data()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock(); finished.signal() }
    /// Blocks until `set` ran, then returns the data.
    func wait() -> Data { finished.wait(); finished.signal(); lock.lock(); defer { lock.unlock() }; return data }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = false
    var value: Bool {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// Real `perf`: whether it can record here, and running it.
enum Perf {
    /// `PERFTRAMPOLINE_EMULATOR` (Scripts/test-aarch64.sh sets it to qemu-aarch64): the tests
    /// and every program they start run under an emulator.
    static let emulator = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_EMULATOR"].flatMap { $0.isEmpty ? nil : $0 }

    /// True when `PERFTRAMPOLINE_REQUIRE_PERF=1`: a test that cannot record then fails.
    static let required = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_REQUIRE_PERF"] == "1"

    static let canRecord: Bool = {
        guard let perf = path else { return false }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("perf-probe-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outcome = try? Harness.run(perf, ["record", "-q", "-o", dir.appendingPathComponent("probe.data").path, "--", "/bin/true"])
        return outcome?.status == 0
    }()

    /// `PERFTRAMPOLINE_PERF` when set (Scripts/test-perf7.sh points it at Debian sid's perf 7),
    /// else the system's perf. A set but unusable path is not replaced by another perf: the
    /// tests then fail (or skip) instead of silently testing a different perf.
    static let path: String? = {
        if let chosen = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_PERF"], !chosen.isEmpty {
            return FileManager.default.isExecutableFile(atPath: chosen) ? chosen : nil
        }
        return ["/usr/bin/perf", "/usr/local/bin/perf", "/usr/sbin/perf"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Records whether this test may run: false (skip) only where perf cannot record and
    /// skipping is allowed; under `PERFTRAMPOLINE_REQUIRE_PERF=1` that is a failure instead.
    static func available() -> Bool {
        if let emulator = emulator {
            // perf would sample the emulator's translated code, not the stubs: nothing to check.
            let message = "SKIP: the tests run emulated (\(emulator)): perf samples the emulator, not the stubs"
            if required { Issue.record("\(message), and PERFTRAMPOLINE_REQUIRE_PERF=1") } else { print(message) }
            return false
        }
        if canRecord { return true }
        if required {
            Issue.record("perf cannot record on this machine, and PERFTRAMPOLINE_REQUIRE_PERF=1")
        } else {
            #if os(Linux)
            print("SKIP: perf cannot record here (install linux-perf; check perf_event_paranoid)")
            #else
            print("SKIP: Linux perf does not exist on this platform")
            #endif
        }
        return false
    }

    /// Records `executable arguments` with frame pointers (`-g`) or, with `jitdump`, with DWARF
    /// unwinding and then `perf inject --jit`; removes the files of every process recorded
    /// (maps, dumps and perf inject's images: dumps stay in /tmp, the one directory every perf
    /// follows, see JitDumpFile.unwinderCaveat); returns the samples and the program's outcome.
    static func profile(_ executable: String, _ arguments: [String], jitdump: Bool, environment: [String: String] = [:],
                        in dir: String) throws -> (samples: [Sample], outcome: Harness.Outcome) {
        let data = dir + "/perf.data"
        let callGraph = jitdump ? ["-k", "1", "--call-graph", "dwarf,65528"] : ["-g"]
        let outcome = try Harness.run(path!, ["record", "-q", "-F", "999"] + callGraph + ["-o", data, "--", executable] + arguments,
                                      environment: Harness.cleanEnvironment(environment))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let pids = try Harness.run(path!, ["script", "-i", data, "-F", "pid"]).stdout
            .split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
        defer { Set(pids + Harness.reportedPids(outcome)).forEach(Harness.removeFiles(of:)) }
        var input = data
        if jitdump {
            input = dir + "/perf.jit.data"
            let inject = try Harness.run(path!, ["inject", "--jit", "-i", data, "-o", input])
            #expect(inject.status == 0, "\(inject.stderr)")
        }
        let script = try Harness.run(path!, ["script", "-i", input], directory: dir)
        return (Sample.parse(script.stdout), outcome)
    }

    /// `perf record <options> -o DIR/perf.data -- toyvm ARGS`, then `perf script`; returns the
    /// script text and the toyvm outcome.
    static func recordToy(_ arguments: [String], options: [String] = ["-F", "999", "-g"],
                          environment: [String: String]? = nil, in dir: String) throws -> (script: String, outcome: Harness.Outcome) {
        let data = dir + "/perf.data"
        let outcome = try Harness.run(path!, ["record", "-q"] + options + ["-o", data, "--", Harness.toyvm] + arguments,
                                      environment: environment)
        let script = try Harness.run(path!, ["script", "-i", data], directory: dir)
        return (script.stdout, outcome)
    }
}

/// One `perf script` sample, parsed by the flame-graph tool's parser (one parser for the tool
/// and the tests): its frames' symbols, leaf first, without `+0x…` and DSO.
typealias Sample = PerfScript.Sample

extension PerfScript.Sample {
    static func parse(_ script: String) -> [Sample] { PerfScript(text: Substring(script)).samples }

    /// The interpreted frames (names starting `toy::`), leaf first.
    var toyFrames: [String] { frames(prefixed: "toy::") }

    /// The frames whose symbol starts with `prefix`, leaf first.
    func frames(prefixed prefix: String) -> [String] { frames.filter { $0.hasPrefix(prefix) } }
}
