/// How a trampoline's frame changes instruction by instruction: the source of its DWARF call
/// frame information (the `.eh_frame` that perf's DWARF unwinder reads from a jitdump).
///
/// The description states where each prologue/epilogue instruction *ends* in the template, and
/// ``matches(_:)`` checks it against the template's real bytes, so the unwind info can never
/// silently drift from the assembly (CPython's gh-149800).
struct FrameDescription: Sendable {
    enum Rule: Sendable, Equatable {
        /// CFA = register + offset.
        case defineCFA(register: UInt8, offset: UInt8)
        case cfaOffset(UInt8)
        case cfaRegister(UInt8)
        /// The register is saved at CFA + factored offset × data alignment.
        case saved(register: UInt8, factoredOffset: UInt8)
        case restored(register: UInt8)
        /// aarch64 pointer authentication: the return address is signed from here on (or no more).
        case toggleReturnAddressSigning
    }

    let codeAlignment: UInt8
    let dataAlignment: Int8
    let returnAddressRegister: UInt8
    /// The state at the first instruction (in the CIE).
    let initial: [Rule]
    /// (byte offset where the rule starts to hold, rule), in increasing offset order (in the FDE).
    ///
    /// Flat arrays (not an array of arrays): each array literal of a static description is an
    /// object with a pointer to its metadata, one load-time relocation each in the C library.
    let rows: [(offset: Int, rule: Rule)]
    /// The template's bytes, nil where any byte will do: the description applies to a template
    /// of exactly this length whose other bytes are these.
    let template: [UInt8?]
    /// ELF `e_machine` for the jitdump header.
    let elfMachine: UInt32

    func matches(_ code: [UInt8]) -> Bool {
        code.count == template.count && zip(code, template).allSatisfy { byte, expected in expected.map { $0 == byte } ?? true }
    }

    /// The description whose byte patterns the template matches (the asm template, or a C
    /// compiler's identical push/mov/call/pop/ret), or nil.
    static func forTemplate(_ code: [UInt8]) -> FrameDescription? {
        #if arch(x86_64)
        let candidates = [x86_64, x86_64WithoutLandingPad]
        #elseif arch(arm64)
        let candidates = [aarch64, aarch64Signed]
        #else
        let candidates: [FrameDescription] = []
        #endif
        return candidates.first { $0.matches(code) }
    }

    // DWARF register numbers: x86_64 rbp 6, rsp 7, return address 16; aarch64 x29 29, x30 30, sp 31.

    /// endbr64 (0-3), push %rbp (4), mov %rsp,%rbp (5-7), call *%rcx (8-9), pop %rbp (10), ret (11).
    static let x86_64 = FrameDescription(
        codeAlignment: 1, dataAlignment: -8, returnAddressRegister: 16,
        initial: [.defineCFA(register: 7, offset: 8), .saved(register: 16, factoredOffset: 1)],
        rows: [
            (5, .cfaOffset(16)), (5, .saved(register: 6, factoredOffset: 2)),
            (8, .cfaRegister(6)),
            (11, .defineCFA(register: 7, offset: 8)), (11, .restored(register: 6)),
        ],
        template: [0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5, 0xff, 0xd1, 0x5d, 0xc3],
        elfMachine: 62)

    /// push %rbp (0), mov %rsp,%rbp (1-3), call *%rcx (4-5), pop %rbp (6), ret (7): what clang
    /// makes of the C template without -fcf-protection.
    static let x86_64WithoutLandingPad = FrameDescription(
        codeAlignment: 1, dataAlignment: -8, returnAddressRegister: 16,
        initial: [.defineCFA(register: 7, offset: 8), .saved(register: 16, factoredOffset: 1)],
        rows: [
            (1, .cfaOffset(16)), (1, .saved(register: 6, factoredOffset: 2)),
            (4, .cfaRegister(6)),
            (7, .defineCFA(register: 7, offset: 8)), (7, .restored(register: 6)),
        ],
        template: [0x55, 0x48, 0x89, 0xe5, 0xff, 0xd1, 0x5d, 0xc3],
        elfMachine: 62)

    /// bti c (0), stp x29, x30, [sp, #-16]! (4), mov x29, sp (8), blr x3 (12), ldp (16), ret (20).
    static let aarch64 = FrameDescription(
        codeAlignment: 4, dataAlignment: -8, returnAddressRegister: 30,
        initial: [.defineCFA(register: 31, offset: 0)],
        rows: [
            (8, .cfaOffset(16)), (8, .saved(register: 29, factoredOffset: 2)), (8, .saved(register: 30, factoredOffset: 1)),
            (12, .cfaRegister(29)),
            (20, .defineCFA(register: 31, offset: 0)), (20, .restored(register: 29)), (20, .restored(register: 30)),
        ],
        template: [0x5f, 0x24, 0x03, 0xd5, 0xfd, 0x7b, 0xbf, 0xa9, 0xfd, 0x03, 0x00, 0x91,
                   0x60, 0x00, 0x3f, 0xd6, 0xfd, 0x7b, 0xc1, 0xa8, 0xc0, 0x03, 0x5f, 0xd6],
        elfMachine: 183)

    /// As `aarch64`, with paciasp (0) … autiasp (20), ret (24).
    static let aarch64Signed = FrameDescription(
        codeAlignment: 4, dataAlignment: -8, returnAddressRegister: 30,
        initial: [.defineCFA(register: 31, offset: 0)],
        rows: [
            (4, .toggleReturnAddressSigning),
            (8, .cfaOffset(16)), (8, .saved(register: 29, factoredOffset: 2)), (8, .saved(register: 30, factoredOffset: 1)),
            (12, .cfaRegister(29)),
            (20, .defineCFA(register: 31, offset: 0)), (20, .restored(register: 29)), (20, .restored(register: 30)),
            (24, .toggleReturnAddressSigning),
        ],
        // paciasp, stp, then any 12 bytes (the aarch64 body's), autiasp, ret.
        template: [0x3f, 0x23, 0x03, 0xd5, 0xfd, 0x7b, 0xbf, 0xa9, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
                   0xbf, 0x23, 0x03, 0xd5, 0xc0, 0x03, 0x5f, 0xd6],
        elfMachine: 183)
}
