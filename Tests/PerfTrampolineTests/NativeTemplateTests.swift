import Foundation
import Testing
import TestSupport
@testable import PerfTrampoline

/// External tools a test runs: found on PATH, or a visible skip (a failure under
/// `PERFTRAMPOLINE_REQUIRE_PERF=1`, which CI sets, as it does for perf).
enum ExternalTool {
    static let required = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_REQUIRE_PERF"] == "1"

    static func path(_ name: String) -> String? { Tools.find(name) }

    /// The tools' paths, or nil after reporting the skip (or, when required, a failure).
    static func require(_ names: [String], for purpose: String) -> [String]? {
        let found = names.map { ($0, path($0)) }
        let missing = found.filter { $0.1 == nil }.map(\.0)
        if missing.isEmpty { return found.map { $0.1! } }
        let message = "SKIP \(purpose): \(missing.joined(separator: ", ")) not installed (Scripts/test.sh installs it)"
        if required { Issue.record("\(message), and PERFTRAMPOLINE_REQUIRE_PERF=1") } else { print(message) }
        return nil
    }

    struct Outcome {
        let status: Int32
        let output: String
    }

    /// Runs a tool, stdout and stderr together.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("native-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Issue 12: the templates as linkers, emulators and DWARF readers see them.
@Suite(.tags(.forksOrSpawns)) struct NativeTemplateTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let shims = root.appendingPathComponent("CShims").path
    static let publicHeaders = root.appendingPathComponent("Sources/CPerfTrampoline/include").path
    static let harness = root.appendingPathComponent("Tests/Native/aarch64_harness.c").path

    /// The compiler for aarch64 Linux code, and the command that runs it: the cross toolchain
    /// and qemu on other hosts, the native ones on aarch64 Linux (the GitHub arm64 job).
    #if arch(arm64) && os(Linux)
    static let aarch64Compiler = "cc"
    static let aarch64Runner: [String] = []
    #else
    static let aarch64Compiler = "aarch64-linux-gnu-gcc"
    static let aarch64Runner = ["qemu-aarch64", "-cpu", "max"]
    #endif

    /// A freestanding program (no crt files: Debian's crt1.o carries no CET note, and would
    /// clear the marking whatever our object says), so the note is the AND of two objects.
    static let freestandingHost = """
        extern const char perftrampoline_asm_template[];
        const void *volatile keep;
        void _start(void) { keep = perftrampoline_asm_template; for (;;) __builtin_trap(); }
        """

    /// Links the host C object and the template, both built with `flags`; returns `readelf -n`.
    private func linkedNotes(compiler: String, template: String, flags: [String], linkFlags: [String] = [],
                             in dir: String) throws -> (notes: String, linkOutput: String) {
        try Self.freestandingHost.write(toFile: "\(dir)/host.c", atomically: true, encoding: .utf8)
        let host = try ExternalTool.run(compiler, flags + ["-c", "\(dir)/host.c", "-o", "\(dir)/host.o"])
        #expect(host.status == 0, "\(host.output)")
        let stub = try ExternalTool.run(compiler, flags + ["-c", "\(Self.shims)/\(template)", "-o", "\(dir)/stub.o"])
        #expect(stub.status == 0, "\(stub.output)")
        let link = try ExternalTool.run(compiler, ["-nostdlib", "-static"] + linkFlags
                                        + ["\(dir)/host.o", "\(dir)/stub.o", "-o", "\(dir)/program"])
        #expect(link.status == 0, "\(link.output)")
        let readelf = try ExternalTool.run(ExternalTool.path("readelf")!, ["-n", "\(dir)/program"])
        return (readelf.output, link.output)
    }

    @Test func x86_64ObjectKeepsIBTAndSHSTKOfACETHost() throws {
        #if arch(x86_64)
        guard let tools = ExternalTool.require(["cc", "readelf"], for: "CET property note") else { return }
        let dir = try ExternalTool.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let marked = try linkedNotes(compiler: tools[0], template: "trampoline_x86_64.S", flags: ["-fcf-protection"], in: dir)
        #expect(marked.notes.contains("x86 feature: IBT, SHSTK"), "\(marked.notes)")
        // Control: a host object built without CET gives a program without the marking.
        let unmarked = try linkedNotes(compiler: tools[0], template: "trampoline_x86_64.S", flags: [], in: dir)
        #expect(!unmarked.notes.contains("IBT"), "\(unmarked.notes)")
        #else
        print("SKIP x86_64 CET note: not an x86_64 host (the aarch64 note is checked instead)")
        #endif
    }

    @Test(arguments: [("-mbranch-protection=standard", "BTI, PAC"), ("-mbranch-protection=bti", "BTI"),
                      ("-mbranch-protection=pac-ret", "PAC")])
    func aarch64ObjectKeepsBTIAndPACOfAMarkedHost(flag: String, expected: String) throws {
        guard let tools = ExternalTool.require([Self.aarch64Compiler, "readelf"], for: "BTI/PAC property note") else { return }
        let dir = try ExternalTool.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let linked = try linkedNotes(compiler: tools[0], template: "trampoline_aarch64.S", flags: [flag],
                                     linkFlags: expected.contains("BTI") ? ["-Wl,-z,force-bti"] : [], in: dir)
        #expect(linked.notes.contains("AArch64 feature: \(expected)\n"), "\(linked.notes)")
        // ld -z force-bti names every input without the BTI note: ours must not be one.
        #expect(!linked.linkOutput.contains("stub.o"), "\(linked.linkOutput)")
    }

    /// Cross-builds Tests/Native/aarch64_harness.c with the real template (or `templateSource`)
    /// and runs it under `qemu-aarch64 -cpu max`.
    private func runHarness(branchProtection: String, mode: String, templateSource: String? = nil) throws -> ExternalTool.Outcome? {
        guard let tools = ExternalTool.require([Self.aarch64Compiler] + Self.aarch64Runner.prefix(1), for: "aarch64 template under qemu")
        else { return nil }
        let dir = try ExternalTool.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var template = "\(Self.shims)/trampoline_aarch64.S"
        if let templateSource {
            template = "\(dir)/trampoline_aarch64.S"
            try templateSource.write(toFile: template, atomically: true, encoding: .utf8)
        }
        let build = try ExternalTool.run(tools[0], [
            "-O2", "-fno-omit-frame-pointer", "-mbranch-protection=\(branchProtection)", "-static",
            "-I\(Self.shims)/include", "-I\(Self.publicHeaders)", "-I\(Self.shims)", template, "\(Self.shims)/template_info.c",
            "\(Self.shims)/code_memory.c", Self.harness, "-o", "\(dir)/harness",
        ])
        #expect(build.status == 0, "\(build.output)")
        if tools.count > 1 { return try ExternalTool.run(tools[1], Self.aarch64Runner.dropFirst() + ["\(dir)/harness", mode]) }
        return try ExternalTool.run("\(dir)/harness", [mode])
    }

    @Test(arguments: ["none", "bti", "pac-ret+bti"])
    func aarch64StubsRunUnderQemu(branchProtection: String) throws {
        guard let run = try runHarness(branchProtection: branchProtection, mode: "run") else { return }
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("ok 2048 stubs passed three 64-bit values through and chained frame records"), "\(run.output)")
        guard let bti = try runHarness(branchProtection: branchProtection, mode: "bti") else { return }
        if bti.status == 77 && Self.aarch64Runner.isEmpty {
            print("SKIP BTI fault check: \(bti.output)")  // real hardware without BTI
            return
        }
        #expect(bti.status == 0, "\(bti.output)")
        #expect(bti.output.contains("ok entry at +0 runs; entry at +4 faults with SIGILL"), "\(bti.output)")
    }

    /// The harness is not a rubber stamp: a template that keeps x30 but builds no frame record
    /// returns the right results and is still rejected.
    @Test func qemuHarnessRejectsATemplateWithoutAFrameRecord() throws {
        let original = try String(contentsOfFile: "\(Self.shims)/trampoline_aarch64.S", encoding: .utf8)
        let broken = original
            .replacingOccurrences(of: "stp x29, x30, [sp, #-16]!", with: "str x30, [sp, #-16]!")
            .replacingOccurrences(of: "mov x29, sp", with: "nop")
            .replacingOccurrences(of: "ldp x29, x30, [sp], #16", with: "ldr x30, [sp], #16")
        #expect(broken != original)
        guard let run = try runHarness(branchProtection: "bti", mode: "run", templateSource: broken) else { return }
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("returns to"), "\(run.output)")
    }

    /// The `.eh_frame` that `EhFrame` generates from each `FrameDescription` and the one the
    /// assembler derives from the template's `.cfi_*` directives give the same unwinding rows,
    /// as GNU readelf interprets them.
    @Test(arguments: [
        ("aarch64-unknown-linux-gnu", "trampoline_aarch64.S", [String](), "aarch64"),
        ("aarch64-unknown-linux-gnu", "trampoline_aarch64.S", ["-mbranch-protection=standard"], "aarch64Signed"),
        ("x86_64-unknown-linux-gnu", "trampoline_x86_64.S", [String](), "x86_64"),
    ])
    func generatedUnwindRowsMatchTheAssemblersCFI(target: String, file: String, flags: [String], name: String) throws {
        guard let tools = ExternalTool.require(["clang", "readelf"], for: "eh_frame comparison") else { return }
        let description: FrameDescription = switch name {
        case "aarch64": .aarch64
        case "aarch64Signed": .aarch64Signed
        default: .x86_64
        }
        let dir = try ExternalTool.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let assembled = "\(dir)/template.o"
        let build = try ExternalTool.run(tools[0], ["-target", target] + flags + ["-c", "\(Self.shims)/\(file)", "-o", assembled])
        #expect(build.status == 0, "\(build.output)")
        // The template's bytes, for the size the FDE covers.
        let codeSize = description.template.count
        let frame = EhFrame(description: description, codeSize: codeSize)
        let table = frame.bytes.prefix(frame.tableSize).map { String(format: "0x%02x", $0) }.joined(separator: ",")
        let source = "\(dir)/generated.s"
        try "\t.section .eh_frame,\"a\"\n\t.byte \(table)\n".write(toFile: source, atomically: true, encoding: .utf8)
        let generated = "\(dir)/generated.o"
        let assemble = try ExternalTool.run(tools[0], ["-target", target, "-c", source, "-o", generated])
        #expect(assemble.status == 0, "\(assemble.output)")
        let expected = try unwindRows(readelf: tools[1], object: assembled)
        let actual = try unwindRows(readelf: tools[1], object: generated)
        #expect(expected.count >= 4, "\(expected)")
        #expect(actual == expected)
    }

    /// The FDE's rows from `readelf --debug-dump=frames-interp`, with locations relative to the
    /// FDE's start: ["LOC CFA x29 ra", "0x0 sp+0 u u", …].
    private func unwindRows(readelf: String, object: String) throws -> [String] {
        let output = try ExternalTool.run(readelf, ["--debug-dump=frames-interp", object]).output
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        guard let fde = lines.firstIndex(where: { $0.contains(" FDE ") }),
              let range = lines[fde].range(of: "pc="),
              let start = UInt64(lines[fde][range.upperBound...].prefix { $0.isHexDigit }, radix: 16) else { return [output] }
        var rows: [String] = []
        for line in lines[(fde + 1)...] {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
            let fields = line.split(separator: " ")
            if let location = UInt64(fields[0], radix: 16) {
                rows.append((["0x" + String(location &- start, radix: 16)] + fields.dropFirst().map(String.init)).joined(separator: " "))
            } else {
                rows.append(fields.joined(separator: " "))
            }
        }
        return rows
    }
}
