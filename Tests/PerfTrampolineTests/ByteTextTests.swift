import Testing
@testable import PerfTrampoline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Issue 26: the core compares, cuts and escapes text as bytes (Formats/ByteText.swift), so the
/// Embedded C library needs no Unicode tables. Where bytes and Unicode disagree, the library
/// takes the bytes; everything ASCII behaves as before.
@Suite struct ByteTextTests {
    /// "é" precomposed and decomposed: equal as Swift Strings, two different byte strings (two
    /// different file names on Linux).
    @Test func canonicallyEquivalentTextIsNotTheSameBytes() {
        let precomposed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(precomposed == decomposed)
        #expect(!precomposed.sameBytes(as: decomposed))
        #expect(precomposed.sameBytes(as: "caf\u{E9}"))
        #expect("/tmp/x".startsWithBytes("/tmp/"))
        #expect(!"/tm".startsWithBytes("/tmp"))
        #expect("-Xperf_jit".droppingBytes(2) == "perf_jit")
    }

    @Test func caseIsFoldedForASCIILettersOnly() {
        #expect("PeRf_JIT".asciiLowercased == "perf_jit")
        #expect("sigusr2".asciiUppercased == "SIGUSR2")
        #expect("\u{C9}T\u{E9}".asciiLowercased == "\u{C9}t\u{E9}")
        #expect("@[`{".asciiLowercased == "@[`{" && "@[`{".asciiUppercased == "@[`{")
    }

    @Test func modesAndBackendsAreParsedAsBefore() throws {
        for (name, mode) in [("PERF", ProfilingMode.perfMap), ("Map", .perfMap), ("1", .perfMap), ("on", .perfMap),
                             ("JitDump", .jitDump), ("perf_jit", .jitDump), ("", .off), ("None", .off)] {
            #expect(try ProfilingMode(name: name) == mode, "\(name)")
        }
        #expect(throws: PerfSupportError.self) { try ProfilingMode(name: "perf\u{301}") }
        #expect(throws: PerfSupportError.self) { try ProfilingMode(name: "perfmap ") }
        #expect(ProfilingMode(rawValue: "perfMap") == .perfMap && ProfilingMode(rawValue: "perfmap") == nil)
        #expect(PerfBackend(rawValue: "asm") == .assembly && PerfBackend(rawValue: "ffi") == .libffi)
        #expect(PerfBackend(rawValue: "ASM") == nil && PerfBackend(rawValue: "assembly") == nil)
        #expect(try ProfilingMode.requested(arguments: ["-X", "perf_jit", "-Xperf"], environment: [:]) == .perfMap)
        #expect(try ProfilingMode.requested(arguments: ["-Xfoo"], environment: ["PERFSUPPORT": "jitdump"]) == .jitDump)
        #expect(try ProfilingMode.requested(arguments: [], environment: ["PERFSUPPORT\u{301}": "1"]) == nil)
        #expect(System.signalNumber(named: "sigUsr2") == SIGUSR2 && System.signalNumber(named: "SIGSEGV") == nil)
    }

    /// What a warning echoes stays on one line: C0 and C1 controls, DEL, U+2028 and U+2029 are
    /// escaped as Swift writes them, with `\` and `"`; text without them comes back unchanged.
    @Test func lineBreakersAreEscaped() {
        #expect("a\nb\t\r\0\u{1B}\u{7F}\u{85}\u{2028}\"\\".escapingLineBreakers
                == #"a\nb\t\r\0\u{1B}\u{7F}\u{85}\u{2028}\"\\"#)
        #expect("caf\u{E9} \"quoted\" \\".escapingLineBreakers == "caf\u{E9} \"quoted\" \\")
        #expect(PerfSupportError.unknownMode("x\ny").description.split(separator: "\n").count == 1)
    }

    @Test func pathsAreCutAtTheirLastSlashByte() {
        #expect(OwnedFile.temporaryPath(for: "/tmp/perf-1.map") == "/tmp/.perf-1.map.partial")
        #expect(OwnedFile.temporaryPath(for: "/d\u{E9}j\u{E0}/jit-2.dump") == "/d\u{E9}j\u{E0}/.jit-2.dump.partial")
        #expect(OwnedFile.temporaryPath(for: "map") == ".map.partial")
        #if os(Linux)
        #expect(JitDumpFile.unwinderCaveat(directory: "/tmp//") == nil)
        #expect(JitDumpFile.unwinderCaveat(directory: "/tmp") == nil)
        #expect(JitDumpFile.unwinderCaveat(directory: "/tmpx")?.contains("\"/tmpx\"") == true)
        #expect(JitDumpFile.unwinderCaveat(directory: "/var/tmp\n")?.contains(#""/var/tmp\n""#) == true)
        #endif
    }
}
