/// Stubs given back by `release`, waiting for the next code object.
///
/// A perf map has no timestamps, so a stub it names keeps that name for the life of the
/// process: it is reused only for the same sanitised name. A stub that only a jitdump names
/// (made in jitdump mode) may also be *renamed*: the dump records the new name with a later
/// timestamp, and `perf inject --jit` attributes each sample to the name current at its time.
///
/// Renaming costs a dump record (and perf inject a `jitted-*.so`), reuse by name costs
/// nothing; so up to ``defaultBound`` renamable stubs are kept for their own names, and only
/// past that is one renamed: the *least recently released*, the one least likely to be asked
/// for again (issue 23: two code objects freed and re-created in turn wrote a record per
/// round; now they keep a stub each).
struct ReleasedStubs {
    /// Renamable stubs kept for their own names before the oldest is renamed.
    static let defaultBound = 64

    /// Every released stub, by the name it carries.
    private var byName: [[UInt8]: [UInt]] = [:]
    /// The released stubs no perf map named when they were released (a hint: checked again
    /// when one is taken, since a map may have caught up with them since), with the serial
    /// number of their release.
    private var renamable: [UInt: UInt64] = [:]
    /// Renamable releases, oldest first, from `orderStart`; an element whose serial is no
    /// longer its address's in `renamable` is stale (taken by name since, or released again).
    private var order: [(serial: UInt64, address: UInt)] = []
    private var orderStart = 0
    private var serial: UInt64 = 0

    /// Nothing released (the common case: hosts that never release pay no lookup).
    var isEmpty: Bool { byName.isEmpty }

    /// How many released stubs may currently be renamed (an upper bound: see `renamable`).
    var renamableCount: Int { renamable.count }

    /// Adds `address`, unless it is already waiting (a slot copied by the host and released
    /// twice gives back one stub, once).
    mutating func add(_ address: UInt, name: [UInt8], renamable isRenamable: Bool) {
        if byName[name]?.contains(address) == true { return }
        byName[name, default: []].append(address)
        guard isRenamable else { return }
        serial &+= 1
        renamable[address] = serial
        order.append((serial, address))
        compactOrderIfWorthIt()
    }

    /// A released stub that already carries `name`.
    mutating func take(named name: [UInt8]) -> UInt? {
        guard let address = byName[name]?.popLast() else { return nil }
        if byName[name]?.isEmpty == true { byName[name] = nil }
        renamable[address] = nil
        return address
    }

    /// The least recently released stub that may take a new name: `isRenamable` confirms it
    /// now (no map holds it), `name` gives the name it carries.
    mutating func takeRenamable(isRenamable: (UInt) -> Bool, name: (UInt) -> [UInt8]) -> UInt? {
        while orderStart < order.count {
            let (released, address) = order[orderStart]
            orderStart += 1
            guard renamable[address] == released else { continue }  // stale
            renamable[address] = nil
            guard isRenamable(address) else { continue }  // still reusable by its name
            let current = name(address)
            if let position = byName[current]?.lastIndex(of: address) { byName[current]?.remove(at: position) }
            if byName[current]?.isEmpty == true { byName[current] = nil }
            compactOrderIfWorthIt()
            return address
        }
        order.removeAll(keepingCapacity: true)
        orderStart = 0
        return nil
    }

    /// Keeps `order` within a small multiple of the renamable stubs: stale elements (reuse by
    /// name leaves one per round) are dropped once they are most of it.
    private mutating func compactOrderIfWorthIt() {
        let live = order.count - orderStart
        guard live > 64, live > 2 * renamable.count else { return }
        order = order[orderStart...].filter { renamable[$0.address] == $0.serial }
        orderStart = 0
    }
}
