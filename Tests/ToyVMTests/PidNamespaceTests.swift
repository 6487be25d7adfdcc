import Foundation
import Testing

/// Issue 16: two processes that share /tmp but not a pid namespace (two containers, each
/// running its interpreter as pid 1, /tmp shared with the host for profiling). Both want
/// /tmp/perf-1.map. The first keeps its map and dump intact and complete; the second does not
/// touch them and says why in one warning, and computes the same (it cannot profile under
/// another name: perf finds a namespaced process's map by its in-namespace pid).
@Suite(.serialized) struct PidNamespaceTests {
    static func unshareWorks() -> Bool {
        guard let unshare = Harness.which("unshare"),
              let probe = try? Harness.run(unshare, ["-p", "-f", "--mount-proc", "/bin/sh", "-c", "echo $$"]) else { return false }
        return probe.status == 0 && probe.stdout == "1\n"
    }

    /// A program that defines and calls `count` functions named `prefix0`…, optionally sleeping
    /// between two halves.
    static func program(prefix: String, count: Int, pauseSeconds: Double) -> String {
        var source = ""
        for index in 0..<count { source += "fn \(prefix)\(index)(x) { return x + \(index) }\n" }
        source += "let total = 0\n"
        for index in 0..<count / 2 { source += "total = total + \(prefix)\(index)(1)\n" }
        source += "print(\"ready\")\nsleep(\(pauseSeconds))\n"
        for index in count / 2..<count { source += "total = total + \(prefix)\(index)(1)\n" }
        source += "print(\"total\", total)\nprint(\"[perf-state]\", perf_status())\n"
        return source
    }

    @Test func aLiveMapOfTheSamePidInAnotherNamespaceIsNeverTouched() throws {
        guard Self.unshareWorks() else {
            let message = "SKIP PidNamespaceTests: cannot create a pid namespace here (unshare -p needs root)"
            if Perf.required { Issue.record("\(message), and PERFTRAMPOLINE_REQUIRE_PERF=1") } else { print(message) }
            return
        }
        let mapPath = "/tmp/perf-1.map"
        // No clean-up beforehand: a file left by an earlier run is stale (its lock died with it)
        // and A claims it; only the files of the two processes started here are removed.
        let (dir, first) = try Harness.writeTemporary(Self.program(prefix: "first", count: 40, pauseSeconds: 3), name: "first.toy")
        defer { try? FileManager.default.removeItem(atPath: dir); unlink(mapPath) }
        let second = dir + "/second.toy"
        try Self.program(prefix: "second", count: 10, pauseSeconds: 0).write(toFile: second, atomically: true, encoding: .utf8)
        let environment = Harness.cleanEnvironment(["PERFTRAMPOLINE_JITDUMP_DIR": dir])

        // A: pid 1 of its own namespace, holding its files while it sleeps.
        let processA = Process()
        processA.executableURL = URL(fileURLWithPath: Harness.which("unshare")!)
        processA.arguments = ["-p", "-f", "--mount-proc", Harness.toyvm, "-Xperf", first]
        processA.environment = environment
        let outputA = Pipe()
        processA.standardOutput = outputA
        processA.standardError = outputA
        try processA.run()
        // "ready" comes after <module> and the first 20 functions are named, before A's pause.
        let ready = Harness.waitForLine(startingWith: "ready", in: outputA)
        let lines = Harness.mapLines(1)?.count ?? 0
        #expect(ready != nil && lines == 21, "A wrote \(lines) lines before B started")

        // B: pid 1 of another namespace, same /tmp and dump directory, while A is live.
        let outcomeB = try Harness.run(Harness.which("unshare")!, ["-p", "-f", "--mount-proc", Harness.toyvm, "-Xperf", second],
                                       environment: environment)
        processA.waitUntilExit()
        let textA = String(decoding: outputA.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)

        #expect(processA.terminationStatus == 0, "\(textA)")
        #expect(textA.contains("total 820"), "\(textA)")
        #expect(outcomeB.status == 0)
        #expect(outcomeB.stdout.contains("total 55"))
        #expect(outcomeB.stderr.split(separator: "\n").count == 1, "one warning: \(outcomeB.stderr)")
        #expect(outcomeB.stderr.contains("/tmp/perf-1.map is in use by another live process"), "\(outcomeB.stderr)")
        #expect(outcomeB.stdout.contains("mode=off"))

        // A's map: every one of its 41 entries, nothing of B's. (The dump is claimed by the same
        // code, OwnedFile; since issue 15 jitdump mode writes no map, so this test uses -Xperf.)
        let map = try #require(Harness.mapLines(1))
        #expect(map.count == 41, "\(map.count) lines")
        #expect(map.allSatisfy { $0.contains(" toy::first") || $0.contains(" toy::<module>") }, "\(map.filter { $0.contains("second") })")
    }
}
