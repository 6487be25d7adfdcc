/// Completes the Swift runtime's lazily made type metadata before a fork.
///
/// The runtime instantiates a generic type's metadata on first use, under a wait queue of its
/// own that no atfork handler resets. If another thread is half-way through instantiating a
/// type at the moment of the fork, a child that then uses the type waits forever for a thread
/// that does not exist there. Seen in CI under qemu-aarch64 (issue 23's random interleaving):
/// a child stuck in `swift_checkMetadataState` called from `SymbolName.sanitized`, the queue
/// owned by a parent thread making its first name at the fork.
///
/// The prepare handler runs ``run()`` once, with the library's locks held: it takes every path
/// the child's cold paths and the child's copy take through generic code (names, both file
/// formats, the registry, the released-stub pool), on scratch values, so an instantiation in
/// flight on another thread finishes first and none is left half-made. After one complete run
/// the metadata exists for good; later forks skip it. Pure: no file, no global state.
enum ForkWarmUp {
    static func run(frame: FrameDescription?) {
        let plain = SymbolName.sanitized("a")
        let odd = SymbolName.sanitized(utf8: [0x61, 0x0A, 0xFF])
        var registry = SymbolRegistry()
        registry.append(address: 0x1000, size: 16, origin: .stub, unwindRoom: 64, sanitizedName: plain)
        registry.append(address: 0x2000, size: 16, origin: .external, sanitizedName: odd)
        registry.supersede(0)
        _ = registry.compact()
        _ = registry.stubIndex()
        var released = ReleasedStubs()
        released.add(0x1000, name: plain, renamable: true)
        _ = released.take(named: odd)
        _ = released.takeRenamable(isRenamable: { _ in true }, name: { _ in plain })
        var line: [UInt8] = []
        PerfMapLine.append(registry[0], to: &line)
        guard let frame else { return }
        let code = [UInt8](repeating: 0, count: 16)
        code.withUnsafeBytes { bytes in
            var records = JitDumpRecords(frame: frame, processID: 0)
            var buffer = records.header(timestamp: 0)
            let address = UInt(bitPattern: bytes.baseAddress)
            var scratch = SymbolRegistry()
            scratch.append(address: address, size: 16, origin: .stub, unwindRoom: 64, sanitizedName: plain)
            records.append(scratch[0], to: &buffer)
        }
    }
}
