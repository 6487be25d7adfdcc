import CShims


/// Executable memory for trampolines: chunks of anonymous `mmap` memory, each filled with
/// template copies while read-write, then made read-execute once and never written again.
///
/// No page is ever writable and executable at once (W^X). Memory is anonymous because perf
/// consults `/tmp/perf-PID.map` only for anonymous executable mappings. Slots are handed out
/// by bumping a pointer and are never reused: the perf map has no timestamps, so a reused
/// address would rename every earlier sample taken there. Not thread-safe: the owner
/// serialises calls (``PerfSupport`` holds its registration lock).
///
/// Every chunk sits on top of a no-access guard of ``guardSize`` bytes that belongs to the
/// same reservation, so no thread stack can lie within 64 KiB below a chunk. perf's DWARF
/// mode copies up to 65,528 bytes of stack above the sampled `sp`, and its unwinder answers
/// every address inside that window from the copy. A chunk inside the window would have its
/// real bytes (trap padding) read in place of the unwind tables `perf inject --jit` maps right
/// after each stub, and unwinding would stop at the first stub (issue 12).
final class CodeArena {
    let template: StubTemplate
    let stride: Int
    let chunkSize: Int
    let slotsPerChunk: Int
    /// Bytes of no-access address space below every chunk: at least perf's largest user-stack
    /// dump (65,528 bytes), in whole pages.
    let guardSize: Int
    /// Whether chunks are mapped PROT_BTI on aarch64 Linux (the template starts with a landing pad).
    let branchTargets: Bool
    private(set) var chunks: [UnsafeMutableRawPointer] = []
    private var nextSlot = 0
    private(set) var issuedCount = 0

    /// - Parameters:
    ///   - layout: how far apart copies are (see ``StubTemplate/stride(for:)``).
    ///   - chunkSize: bytes per chunk, rounded up to whole pages (default 64 KiB).
    init(template: StubTemplate, layout: StubLayout = .compact, chunkSize: Int = 64 * 1024) {
        let page = System.pageSize
        self.template = template
        self.stride = template.stride(for: layout)
        self.chunkSize = max(page, (chunkSize + page - 1) / page * page)
        self.slotsPerChunk = self.chunkSize / stride
        self.guardSize = (Self.largestStackDump + page - 1) / page * page
        self.branchTargets = template.filling == .copy
            && perftrampoline_starts_with_landing_pad(template.code, template.code.count) != 0
    }

    /// perf_event_open caps `sample_stack_user` below 64 KiB (perf record allows at most 65,528).
    static let largestStackDump = 64 * 1024

    /// Bytes after the 8-aligned code of each stub up to the next one.
    var unwindRoom: Int { stride - EhFrame.align8(template.code.count) }

    /// A fresh, never-issued copy of the template.
    func allocate() throws(SystemCallError) -> UnsafeRawPointer {
        try reserveChunk()
        let slot = UnsafeRawPointer(chunks[chunks.count - 1]) + nextSlot * stride
        nextSlot += 1
        issuedCount += 1
        return slot
    }

    /// Maps a new chunk if the current one is used up (or none exists), so that a caller can
    /// learn of a refused mmap/mprotect before it needs a slot.
    func reserveChunk() throws(SystemCallError) {
        if chunks.isEmpty || nextSlot == slotsPerChunk {
            chunks.append(try makeChunk())
            nextSlot = 0
        }
    }

    /// Makes the next ``allocate()`` map a new chunk: its stubs then lie in a mapping of this
    /// process's own (a fork child's, see ``ProfilingCore/reopenAfterFork()``). The rest of the
    /// current chunk stays unused.
    func retireCurrentChunk() {
        if !chunks.isEmpty { nextSlot = slotsPerChunk }
    }

    /// Unmaps every chunk. Only for arenas whose stubs can no longer run (the backend self-test).
    func release() {
        for chunk in chunks { System.unmap(chunk - guardSize, guardSize + chunkSize) }
        chunks.removeAll()
    }

    private func makeChunk() throws(SystemCallError) -> UnsafeMutableRawPointer {
        let reservation = try System.reserve(guardSize + chunkSize)
        let memory = reservation + guardSize
        do {
            try System.protectReadWrite(memory, chunkSize)
            try fill(memory)
        } catch {
            System.unmap(reservation, guardSize + chunkSize)
            throw error
        }
        do {
            try System.protectReadExecute(memory, chunkSize, branchTargets: branchTargets)
        } catch {
            System.unmap(reservation, guardSize + chunkSize)
            guard let jitMemory = Self.mapJITFallback(guardSize + chunkSize) else { throw error }
            // The guard part is mapped too (it only has to occupy the address space below).
            let chunk = jitMemory + guardSize
            perftrampoline_jit_write_enable(1)
            defer { perftrampoline_jit_write_enable(0) }
            try fill(chunk)
            perftrampoline_flush_icache(chunk, chunkSize)
            return chunk
        }
        perftrampoline_flush_icache(memory, chunkSize)
        return memory
    }

    /// Every slot gets the template; the gaps and the tail get trapping padding.
    private func fill(_ memory: UnsafeMutableRawPointer) throws(SystemCallError) {
        let padding = template.padding
        var offset = 0
        while offset + padding.count <= chunkSize {
            padding.withUnsafeBytes { (memory + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            offset += padding.count
        }
        switch template.filling {
        case .copy:
            template.code.withUnsafeBytes { code in
                for slot in 0..<slotsPerChunk {
                    (memory + slot * stride).copyMemory(from: code.baseAddress!, byteCount: code.count)
                }
            }
        case .ffiClosure:
            for slot in 0..<slotsPerChunk where perftrampoline_ffi_prepare(memory + slot * stride) != 0 {
                throw .invalid("ffi_prep_closure_loc")
            }
        }
    }

    /// macOS arm64 with the hardened runtime refuses RW→RX `mprotect`; there the sanctioned way
    /// is `MAP_JIT` with the per-thread write window (`pthread_jit_write_protect_np`). Returns
    /// nil on every other platform.
    private static func mapJITFallback(_ length: Int) -> UnsafeMutableRawPointer? {
        guard perftrampoline_has_map_jit() != 0 else { return nil }
        return perftrampoline_map_jit(length)
    }
}
