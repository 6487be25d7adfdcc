import CShims


/// Chooses the trampoline backend: asm where it exists, else the C stub if its self-test
/// passes, else libffi closures; `PERFTRAMPOLINE_BACKEND=asm|c|ffi` forces one.
enum BackendSelection {
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    static func choose(forced: String? = environmentChoice) throws(Unavailable) -> StubTemplate {
        if let forced {
            guard let backend = PerfBackend(rawValue: forced) else {
                throw Unavailable(description: "PERFTRAMPOLINE_BACKEND=\(forced.escapingLineBreakers) is not one of asm, c, ffi")
            }
            return try template(for: backend)
        }
        var reasons: [String] = []
        for backend in PerfBackend.allCases {
            do { return try template(for: backend) } catch { reasons.append(error.description) }
        }
        throw Unavailable(description: reasons.joined(separator: "; "))
    }

    static var environmentChoice: String? {
        Environment.current.backend
    }

    static func template(for backend: PerfBackend) throws(Unavailable) -> StubTemplate {
        switch backend {
        case .assembly:
            guard let template = StubTemplate.assembly() else {
                throw Unavailable(description: "no hand-written trampoline for this architecture")
            }
            return template
        case .compiledC:
            return try compiledC()
        case .libffi:
            if let reason = perftrampoline_ffi_unavailable_reason() {
                throw Unavailable(description: String(cString: reason))
            }
            let size = perftrampoline_ffi_closure_size()
            guard size > 0 else { throw Unavailable(description: "libffi closures are not available") }
            return StubTemplate(backend: .libffi, code: Array(repeating: 0, count: size), filling: .ffiClosure, frame: nil)
        }
    }

    /// The C stub, if a copy of it passes the self-test: its size is sane, and a copy in a
    /// fresh executable page, called with a probe evaluator, passes all three arguments through
    /// and returns the evaluator's result. A copy whose bytes match a known frame description
    /// (the x86_64 release build's) is position independent by inspection and runs in this
    /// process: no child at all. Any other form (debug builds) runs in a raw clone child first
    /// (a copy that is not position independent crashes only the child).
    static func compiledC() throws(Unavailable) -> StubTemplate {
        guard let start = perftrampoline_c_template_start() else {
            throw Unavailable(description: "no compiled C trampoline in this build")
        }
        let size = perftrampoline_c_template_size()
        guard size >= 4 && size <= 256 else {
            throw Unavailable(description: "the compiled C trampoline has an implausible size (\(size) bytes)")
        }
        var code = Array(UnsafeRawBufferPointer(start: start, count: size))
        // The section may end in alignment padding: drop trailing zero/int3 bytes beyond the
        // last instruction only where they are plainly padding.
        #if arch(x86_64)
        while code.count > 1, code.last == 0xCC || code.last == 0x90 || code.last == 0x00 { code.removeLast() }
        #endif
        let template = StubTemplate(backend: .compiledC, code: code, frame: FrameDescription.forTemplate(code))
        try selfTest(template)
        return template
    }

    private static func selfTest(_ template: StubTemplate) throws(Unavailable) {
        let arena = CodeArena(template: template, chunkSize: System.pageSize)
        let address: UnsafeRawPointer
        do {
            address = try arena.allocate()
        } catch {
            throw Unavailable(description: "self-test of the C trampoline: \(ProfilingCore.explain(error))")
        }
        defer { arena.release() }
        let verified = template.frame != nil
        guard (verified ? perftrampoline_self_test_verified(address) : perftrampoline_self_test_isolated(address)) == 0 else {
            throw Unavailable(description: "self-test of the C trampoline failed: its copy does not run correctly")
        }
    }
}
