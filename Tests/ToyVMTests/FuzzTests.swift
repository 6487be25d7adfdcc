import Foundation
import Testing
import ToyVM

/// A small deterministic generator (SplitMix64): every failure names its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Bounded fuzzing of the toy VM's front end and VM: random and mutated programs give clean
/// errors, never a crash; random valid programs compute the same with and without -Xperf.
/// `TOYVM_FUZZ_SEED` and `TOYVM_FUZZ_SCALE` (a multiplier) make a run longer or reproducible.
@Suite struct FuzzTests {
    static let seed: UInt64 = ProcessInfo.processInfo.environment["TOYVM_FUZZ_SEED"].flatMap(UInt64.init) ?? 0x70F_0001
    static let scale: Int = ProcessInfo.processInfo.environment["TOYVM_FUZZ_SCALE"].flatMap(Int.init) ?? 1

    static let corpus: [String] = DifferentialTests.scripts.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }

    static let fragments: [[UInt8]] = [
        "fn", "let", "if", "else", "while", "return", "(", ")", "[", "]", "{", "}", ",", ";", "\n", "\"",
        "\\", "#", "=", "==", "<", "-", "*", "/", "%", "and", "not", "nil", "9223372036854775807", "1e308",
        "x", "f(", "[[[[", "((((", "}}}", "\u{0}", "\u{7f}", "é", "\u{2028}",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xE2, 0x82], [0xF0, 0x9F]]

    static func mutate(_ source: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = source
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[position] = UInt8.random(in: 0...255, using: &rng)
            case 1 where !bytes.isEmpty: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...16, using: &rng)))
            case 2: bytes.insert(contentsOf: fragments.randomElement(using: &rng)!, at: position)
            case 3 where !bytes.isEmpty:
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                bytes.insert(contentsOf: bytes[start..<min(bytes.count, start + 40)], at: position)
            default: bytes.insert(UInt8.random(in: 0...127, using: &rng), at: position)
            }
        }
        return bytes
    }

    /// The lexer, parser and compiler, in process: a crash would kill the test run.
    @Test func mutatedAndRandomSourcesNeverCrashTheFrontEnd() {
        var rng = SeededGenerator(seed: Self.seed)
        var compiled = 0
        var rejected = 0
        for iteration in 0..<(4000 * Self.scale) {
            let bytes: [UInt8] = iteration % 4 == 0
                ? (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                : Self.mutate(Array(Self.corpus.randomElement(using: &rng)!.utf8), &rng)
            let source = String(decoding: bytes, as: UTF8.self)
            do {
                _ = try ToyProgram(source: source, file: "fuzz.toy")
                compiled += 1
            } catch {
                #expect(error.description.hasPrefix("fuzz.toy:"), "seed \(Self.seed): \(error)")
                #expect(!error.description.contains("\n"))
                rejected += 1
            }
        }
        #expect(compiled > 0 && rejected > 0, "the mutations should produce both outcomes")
    }

    /// Mutants that compile are run by toyvm: they end with status 0 or 1 (never a signal), or
    /// run until the time limit (a mutant may legitimately loop forever).
    @Test func mutatedProgramsExitCleanly() throws {
        var rng = SeededGenerator(seed: Self.seed ^ 0xABCD)
        var ran = 0
        var attempts = 0
        while ran < 60 * Self.scale && attempts < 5000 {
            attempts += 1
            let bytes = Self.mutate(Array(Self.corpus.randomElement(using: &rng)!.utf8), &rng)
            let source = String(decoding: bytes, as: UTF8.self)
            guard (try? ToyProgram(source: source, file: "m.toy")) != nil,
                  !source.contains("fork(") && !source.contains("sleep(") else { continue }
            ran += 1
            let (dir, path) = try Harness.writeTemporary(source, name: "m.toy")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // Mutants of the mode-switching programs may open a jitdump: keep it in the scratch dir.
            let outcome = try Harness.run(Harness.toyvm, ["-Xperf", path],
                                          environment: Harness.cleanEnvironment(["PERFTRAMPOLINE_JITDUMP_DIR": dir]), timeLimit: 3)
            Harness.removeFiles(of: outcome.pid)
            if outcome.status == 137 { continue }  // killed by the time limit: a looping mutant
            #expect(outcome.status >= 0 && outcome.status < 128,
                    "seed \(Self.seed): status \(outcome.status) for\n\(source)\n\(outcome.stderr)")
            #expect(!outcome.stderr.contains("Fatal error") && !outcome.stderr.contains("Crash"), "\(outcome.stderr)")
        }
        #expect(ran > 0)
    }

    /// Random valid programs: integer functions calling only earlier ones, bounded loops.
    static func randomProgram(_ rng: inout SeededGenerator) -> String {
        var lines: [String] = []
        let functionCount = Int.random(in: 1...6, using: &rng)
        func expression(_ depth: Int, _ names: [String], _ callable: Int) -> String {
            let choice = depth > 3 ? Int.random(in: 0...1, using: &rng) : Int.random(in: 0...6, using: &rng)
            switch choice {
            case 0: return String(Int.random(in: -50...50, using: &rng))
            case 1: return names.randomElement(using: &rng) ?? "1"
            case 2, 3:
                let op = ["+", "-", "*", "%", "/", "<", "==", "and", "or"].randomElement(using: &rng)!
                let right = op == "%" || op == "/" ? String(Int.random(in: 1...9, using: &rng)) : expression(depth + 1, names, callable)
                return "(\(expression(depth + 1, names, callable)) \(op) \(right))"
            case 4 where callable > 0:
                return "g\(Int.random(in: 0..<callable, using: &rng))(\(expression(depth + 1, names, callable)))"
            case 5: return "(not \(expression(depth + 1, names, callable)))"
            default: return "len([\(expression(depth + 1, names, callable)), 2])"
            }
        }
        for index in 0..<functionCount {
            lines.append("fn g\(index)(a) {")
            lines.append("    let x = \(expression(0, ["a"], index))")
            lines.append("    let i = 0")
            lines.append("    while i < \(Int.random(in: 0...5, using: &rng)) {")
            lines.append("        x = \(expression(1, ["a", "x", "i"], index))")
            lines.append("        i = i + 1")
            lines.append("    }")
            lines.append("    if \(expression(1, ["a", "x"], index)) { return x } else { return \(expression(1, ["a", "x"], index)) }")
            lines.append("}")
        }
        for call in 0..<Int.random(in: 1...5, using: &rng) {
            lines.append("print(\"r\(call)\", g\(Int.random(in: 0..<functionCount, using: &rng))(\(Int.random(in: -20...20, using: &rng))))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func randomValidProgramsComputeTheSameWithAndWithoutPerf() throws {
        var rng = SeededGenerator(seed: Self.seed ^ 0x5EED)
        var errors = 0
        for _ in 0..<(80 * Self.scale) {
            let source = Self.randomProgram(&rng)
            let (dir, path) = try Harness.writeTemporary(source, name: "r.toy")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let plain = try Harness.toy([path])
            let profiled = try Harness.toy(["-Xperf", path])
            Harness.removeFiles(of: profiled.pid)
            #expect(plain.status == profiled.status, "seed \(Self.seed):\n\(source)")
            #expect(plain.stdout == profiled.stdout, "seed \(Self.seed):\n\(source)")
            #expect(plain.stderr == profiled.stderr)
            #expect(plain.status == 0 || plain.status == 1)
            if plain.status == 1 { errors += 1 }
        }
        #expect(errors < 80 * Self.scale, "most random programs should run to the end")
    }
}
