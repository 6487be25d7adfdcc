import CShims

/// The machine code placed once per code object, and how copies are laid out in the arena.
struct StubTemplate: Sendable {
    /// How a slot of a fresh (read-write) chunk becomes a stub.
    enum Filling: Sendable {
        /// Copy these position-independent bytes (asm and c backends).
        case copy
        /// Let libffi prepare a closure in place (ffi backend).
        case ffiClosure
    }

    /// The backend that produced the bytes (reported in ``PerfStatus``).
    let backend: PerfBackend
    /// The template's bytes: position independent, so a copy runs anywhere. For libffi
    /// closures, the size of a closure (its bytes are written by libffi).
    let code: [UInt8]
    let filling: Filling
    /// What fills the gap between copies: a trapping instruction, never reached.
    let padding: [UInt8]
    /// The frame the stub builds, for unwind tables; nil where unknown (then the backend
    /// cannot serve jitdump mode).
    let frame: FrameDescription?

    init(backend: PerfBackend, code: [UInt8], filling: Filling = .copy, frame: FrameDescription?) {
        self.backend = backend
        self.code = code
        self.filling = filling
        self.frame = frame
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
        return StubTemplate(backend: .assembly, code: bytes, frame: FrameDescription.forTemplate(bytes))
    }

    /// Distance between two copies in an arena of `layout`.
    ///
    /// Compact: the code rounded up to 16 bytes (16 on x86_64, 32 on aarch64). Jitdump: perf
    /// inject maps each stub as `align8(code) + mapped_size` bytes, the unwind tables following
    /// the code, so stubs must be spaced that far apart or their mappings would overlap and
    /// perf's DWARF unwinder would read one stub's tables through its neighbour.
    func stride(for layout: StubLayout) -> Int {
        let compact = (code.count + 15) & ~15
        guard layout == .jitDump, let frame else { return compact }
        let unwind = (EhFrame(description: frame, codeSize: code.count).bytes.count + 15) & ~15
        return max(compact, (EhFrame.align8(code.count) + unwind + 15) & ~15)
    }
}

/// How trampolines are spaced in an arena.
enum StubLayout: Hashable, Sendable {
    /// Packed as tightly as alignment allows (perf map mode).
    case compact
    /// Room for perf inject's unwind-table mapping after each stub (jitdump mode).
    case jitDump
}

/// Where a stub's machine code comes from.
public enum PerfBackend: String, Sendable, CustomStringConvertible, CaseIterable {
    /// The hand-written `.S` template (x86_64, aarch64). Default where it exists.
    case assembly = "asm"
    /// A stub compiled from C, copied like the asm one after a start-up self-test.
    case compiledC = "c"
    /// libffi closures prepared in the arena. Runs everywhere libffi does, but a closure jumps
    /// into libffi's shared code, so perf never sees its address on a stack: no named frames.
    case libffi = "ffi"

    public var description: String { rawValue }

    /// Creates the backend named `rawValue` (`asm`, `c`, `ffi`), or nil.
    public init?(rawValue: String) {
        guard let backend = Self.matching(rawValue: rawValue) else { return nil }
        self = backend
    }
}
