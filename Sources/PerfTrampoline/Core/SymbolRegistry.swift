/// Every (address, size, name) the process has announced, in order.
///
/// Kept so that a sink opened later — the fork child's own map, a jitdump opened after
/// perf-map entries were written, a map re-opened after switching back — can be brought up to
/// date byte for byte. Names are stored sanitised, back to back in one buffer, so each entry
/// costs three words plus its name.
struct SymbolRegistry {
    /// Where the code of an entry lives and whether we own it.
    enum Origin: UInt8 {
        /// A trampoline in our code arena (jitdump can copy its bytes).
        case stub
        /// Announced through the public "write one entry" API by another code generator.
        case external
    }

    struct Entry {
        let address: UInt
        let size: UInt
        let origin: Origin
        /// Bytes free after `align8(size)` before the next slot: room a jitdump may claim for
        /// the stub's unwind tables in perf's synthetic mapping.
        let unwindRoom: UInt32
        let name: ArraySlice<UInt8>
    }

    private var addresses: [UInt] = []
    private var sizes: [UInt] = []
    private var origins: [Origin] = []
    private var unwindRooms: [UInt32] = []
    private var nameEnds: [Int] = []
    private var names: [UInt8] = []

    var count: Int { addresses.count }

    mutating func append(address: UInt, size: UInt, origin: Origin, unwindRoom: Int = 0, sanitizedName: [UInt8]) {
        addresses.append(address)
        unwindRooms.append(UInt32(clamping: unwindRoom))
        sizes.append(size)
        origins.append(origin)
        names += sanitizedName
        nameEnds.append(names.count)
    }

    /// Forgets the newest entry (its files could not be written; its stub is never published).
    mutating func removeLast() {
        addresses.removeLast()
        unwindRooms.removeLast()
        sizes.removeLast()
        origins.removeLast()
        nameEnds.removeLast()
        names.removeSubrange((nameEnds.last ?? 0)...)
    }

    /// The index of every stub's entry, by address.
    func stubIndex() -> [UInt: Int] {
        var index: [UInt: Int] = [:]
        for position in 0..<count where origins[position] == .stub { index[addresses[position]] = position }
        return index
    }

    subscript(index: Int) -> Entry {
        let start = index == 0 ? 0 : nameEnds[index - 1]
        return Entry(address: addresses[index], size: sizes[index], origin: origins[index],
                     unwindRoom: unwindRooms[index], name: names[start..<nameEnds[index]])
    }

    /// Bytes of bookkeeping held for `count` entries (for the memory benchmark and status).
    var metadataBytes: Int {
        addresses.capacity * MemoryLayout<UInt>.stride + sizes.capacity * MemoryLayout<UInt>.stride
            + origins.capacity + unwindRooms.capacity * 4 + nameEnds.capacity * MemoryLayout<Int>.stride + names.capacity
    }
}
