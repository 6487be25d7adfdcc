/// Stubs given back by `release`, waiting for the next code object.
///
/// A perf map has no timestamps, so a stub it names keeps that name for the life of the
/// process: it is reused only for the same sanitised name. A stub that only a jitdump names
/// (made in jitdump mode) may also be *renamed*: the dump records the new name with a later
/// timestamp, and `perf inject --jit` attributes each sample to the name current at its time.
struct ReleasedStubs {
    /// Every released stub, by the name it carries.
    private var byName: [[UInt8]: [UInt]] = [:]
    /// The released stubs no perf map named when they were released (a hint: checked again
    /// when one is taken, since a map may have caught up with them since).
    private var renamable: Set<UInt> = []

    /// Nothing released (the common case: hosts that never release pay no lookup).
    var isEmpty: Bool { byName.isEmpty }

    /// Adds `address`, unless it is already waiting (a slot copied by the host and released
    /// twice gives back one stub, once).
    mutating func add(_ address: UInt, name: [UInt8], renamable: Bool) {
        if byName[name]?.contains(address) == true { return }
        byName[name, default: []].append(address)
        if renamable { self.renamable.insert(address) }
    }

    /// A released stub that already carries `name`.
    mutating func take(named name: [UInt8]) -> UInt? {
        guard let address = byName[name]?.popLast() else { return nil }
        if byName[name]?.isEmpty == true { byName[name] = nil }
        renamable.remove(address)
        return address
    }

    /// A released stub that may take a new name: `isRenamable` confirms it now (no map holds
    /// it), `name` gives the name it carries.
    mutating func takeRenamable(isRenamable: (UInt) -> Bool, name: (UInt) -> [UInt8]) -> UInt? {
        while let address = renamable.popFirst() {
            guard isRenamable(address) else { continue }  // still reusable by its name
            let current = name(address)
            if let position = byName[current]?.lastIndex(of: address) { byName[current]?.remove(at: position) }
            if byName[current]?.isEmpty == true { byName[current] = nil }
            return address
        }
        return nil
    }
}
