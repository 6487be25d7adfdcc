import Foundation
import Testing

/// `perf record` of a program whose fork child runs an inherited function and one of its own.
///
/// perf gives a fork child the parent's mappings with the parent's names: an inherited
/// anonymous chunk is looked up in `/tmp/perf-PARENT.map`. A stub the child made in such a
/// chunk was in the child's map only, so every sample in it was `[unknown]` (measured before
/// the fix: 0 of 1,056 samples of spin_child_new named, perf map mode). The child now maps a
/// chunk of its own for its stubs (ProfilingCore.reopenAfterFork).
@Suite(.serialized, .tags(.recordsWithPerf)) struct ForkProfileTests {
    static let program = Harness.programs.appendingPathComponent("fork_spin.toy").path

    @Test(arguments: [false, true])
    func aForkChildsOwnFunctionsAreNamed(jitdump: Bool) throws {
        guard Perf.available() else { return }
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (samples, outcome) = try Perf.profile(Harness.toyvm, [jitdump ? "-Xperf_jit" : "-Xperf", Self.program, "100000"],
                                                  jitdump: jitdump, in: dir)
        #expect(outcome.stdout.contains("total 299997000000"), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("child exit 0"), "\(outcome.stdout)")
        let inherited = samples.filter { $0.toyFrames.first == "toy::spin_inherited:\(Self.program)" }.count
        let own = samples.filter { $0.toyFrames.first == "toy::spin_child_new:\(Self.program)" }.count
        // The same work each: the child's own function is named about as often as the other.
        #expect(inherited >= 100, "\(inherited) of \(samples.count) samples name spin_inherited")
        #expect(Double(own) >= 0.5 * Double(inherited), "spin_child_new named in \(own) samples, spin_inherited in \(inherited)")
    }
}
