/// Every (address, size, name) the process has announced, in order.
///
/// Kept so that a sink opened later — the fork child's own map, a jitdump opened after
/// perf-map entries were written, a map re-opened after switching back — can be brought up to
/// date byte for byte. Names are stored sanitised, back to back in one buffer, so each entry
/// costs three words plus its name.
///
/// In jitdump mode a released stub may be renamed (the dump's records carry timestamps): the
/// rename is a new entry for the same address, and the old one is *superseded* — kept for the
/// files that already hold it, skipped by files written later, and dropped by ``compact()``
/// once superseded entries outnumber live ones, so memory stays bounded under churn.
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
        /// A later entry renamed this stub: files opened from now on skip it.
        let superseded: Bool
    }

    private var addresses: [UInt] = []
    private var sizes: [UInt] = []
    private var origins: [Origin] = []
    private var unwindRooms: [UInt32] = []
    private var nameEnds: [Int] = []
    private var names: [UInt8] = []
    private var supersededFlags: [Bool] = []
    private(set) var supersededCount = 0

    var count: Int { addresses.count }

    mutating func append(address: UInt, size: UInt, origin: Origin, unwindRoom: Int = 0, sanitizedName: [UInt8]) {
        addresses.append(address)
        unwindRooms.append(UInt32(clamping: unwindRoom))
        sizes.append(size)
        origins.append(origin)
        names += sanitizedName
        nameEnds.append(names.count)
        supersededFlags.append(false)
    }

    /// Marks entry `index` as renamed by a later entry.
    mutating func supersede(_ index: Int) {
        guard !supersededFlags[index] else { return }
        supersededFlags[index] = true
        supersededCount += 1
    }

    /// Drops superseded entries. Returns, for each old cursor position (0...count), the new
    /// one, so that every file's count of entries written can be carried over.
    mutating func compact() -> [Int] {
        var kept = SymbolRegistry()
        var newPosition = [0]
        newPosition.reserveCapacity(count + 1)
        for index in 0..<count {
            if !supersededFlags[index] {
                let entry = self[index]
                kept.append(address: entry.address, size: entry.size, origin: entry.origin,
                            unwindRoom: Int(entry.unwindRoom), sanitizedName: Array(entry.name))
            }
            newPosition.append(kept.count)
        }
        self = kept
        return newPosition
    }

    /// Forgets the newest entry (its files could not be written; its stub is never published).
    mutating func removeLast() {
        addresses.removeLast()
        unwindRooms.removeLast()
        sizes.removeLast()
        origins.removeLast()
        nameEnds.removeLast()
        names.removeSubrange((nameEnds.last ?? 0)...)
        if supersededFlags.removeLast() { supersededCount -= 1 }
    }

    /// The index of every stub's current entry, by address.
    func stubIndex() -> [UInt: Int] {
        var index: [UInt: Int] = [:]
        for position in 0..<count where origins[position] == .stub && !supersededFlags[position] {
            index[addresses[position]] = position
        }
        return index
    }

    subscript(index: Int) -> Entry {
        let start = index == 0 ? 0 : nameEnds[index - 1]
        return Entry(address: addresses[index], size: sizes[index], origin: origins[index],
                     unwindRoom: unwindRooms[index], name: names[start..<nameEnds[index]],
                     superseded: supersededFlags[index])
    }

    /// Bytes of bookkeeping held for `count` entries (for the memory benchmark and status).
    var metadataBytes: Int {
        addresses.capacity * MemoryLayout<UInt>.stride + sizes.capacity * MemoryLayout<UInt>.stride
            + origins.capacity + supersededFlags.capacity + unwindRooms.capacity * 4 + nameEnds.capacity * MemoryLayout<Int>.stride + names.capacity
    }
}
