import CShims

/// The machine code copied once per code object, and how copies are laid out in the arena.
struct StubTemplate: Sendable {
    /// The backend that produced the bytes (reported in ``PerfStatus``).
    let backend: PerfBackend
    /// The template's bytes: position independent, so a copy runs anywhere.
    let code: [UInt8]
    /// Distance between two copies in the arena (code plus padding, aligned).
    let stride: Int
    /// What fills the gap between copies: a trapping instruction, never reached.
    let padding: [UInt8]

    init(backend: PerfBackend, code: [UInt8], alignment: Int = 16) {
        self.backend = backend
        self.code = code
        self.stride = (code.count + alignment - 1) / alignment * alignment
        #if arch(x86_64) || arch(i386)
        padding = [0xCC]  // int3
        #else
        padding = [0x00, 0x00, 0x00, 0x00]  // aarch64 udf #0; traps elsewhere too
        #endif
    }

    /// The hand-written template of `CShims/trampoline_<arch>.S`, where one exists.
    static func assembly() -> StubTemplate? {
        guard let start = perftrampoline_asm_template_start() else { return nil }
        let size = perftrampoline_asm_template_size()
        guard size > 0 else { return nil }
        let bytes = Array(UnsafeRawBufferPointer(start: start, count: size))
        return StubTemplate(backend: .assembly, code: bytes)
    }
}

/// Where a stub's machine code comes from.
public enum PerfBackend: String, Sendable, CustomStringConvertible {
    /// The hand-written `.S` template (x86_64, aarch64).
    case assembly = "asm"

    public var description: String { rawValue }
}
