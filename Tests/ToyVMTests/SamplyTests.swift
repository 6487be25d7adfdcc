import Foundation
import Testing

/// samply (macOS and Linux), shaped like CPython's Lib/test/test_samply_profiler.py: the
/// saved profile names foo, bar and baz with -Xperf and -Xperf_jit, and not without a switch.
/// samply cannot be installed on the Linux machines CI runs on: there this is a visible skip;
/// the macOS job of .github/workflows/ci.yml installs it and sets PERFTRAMPOLINE_REQUIRE_SAMPLY=1,
/// which turns the skip into a failure.
@Suite(.serialized) struct SamplyTests {
    static let samply: String? = {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + [NSHomeDirectory() + "/.cargo/bin"]
        return directories.map { "\($0)/samply" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static func available() -> Bool {
        if samply != nil { return true }
        if ProcessInfo.processInfo.environment["PERFTRAMPOLINE_REQUIRE_SAMPLY"] == "1" {
            Issue.record("samply is not installed, and PERFTRAMPOLINE_REQUIRE_SAMPLY=1")
        } else {
            print("SKIP SamplyTests: samply not installed (cargo install --locked samply)")
        }
        return false
    }

    /// `samply record --save-only` of chain.toy; the profile's JSON text.
    private func profile(_ flags: [String]) throws -> String {
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let output = dir + "/profile.json.gz"
        let record = try Harness.run(Self.samply!, ["record", "--save-only", "-o", output, "--", Harness.toyvm]
                                     + flags + [JitDumpTests.chain, "30"],
                                     environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_JITDUMP_DIR": dir]))
        Harness.reportedPids(record).forEach(Harness.removeFiles(of:))
        #expect(record.status == 0, "\(record.stderr)")
        let gunzip = try Harness.run("/usr/bin/gunzip", ["-c", output])
        #expect(gunzip.status == 0, "\(gunzip.stderr)")
        return gunzip.stdout
    }

    @Test(arguments: [["-Xperf"], ["-Xperf_jit"]])
    func interpretedCallsAppearWhenProfilingIsOn(flags: [String]) throws {
        guard Self.available() else { return }
        let json = try profile(flags)
        for function in ["foo", "bar", "baz"] {
            #expect(json.contains("toy::\(function):\(JitDumpTests.chain)"), "\(flags): toy::\(function) missing")
        }
    }

    @Test func interpretedCallsDoNotAppearWhenProfilingIsOff() throws {
        guard Self.available() else { return }
        let json = try profile([])
        for function in ["foo", "bar", "baz"] {
            #expect(!json.contains("toy::\(function):"))
        }
    }
}
