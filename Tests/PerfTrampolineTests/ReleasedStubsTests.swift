import Testing
@testable import PerfTrampoline

/// Issue 15: the bookkeeping behind `release`, without files — the pool of released stubs and
/// the registry's renames and compaction.
@Suite struct ReleasedStubsTests {
    private func name(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func sameNameFirstThenOnlyRenamableStubs() {
        var pool = ReleasedStubs()
        pool.add(0x100, name: name("a"), renamable: false)
        pool.add(0x200, name: name("b"), renamable: true)
        pool.add(0x300, name: name("a"), renamable: true)
        let names: [UInt: [UInt8]] = [0x100: name("a"), 0x200: name("b"), 0x300: name("a")]
        #expect(pool.take(named: name("a")) == 0x300, "the newest release of the name")
        // 0x300 is gone from the renamable set too; 0x100 was never renamable.
        #expect(pool.takeRenamable(isRenamable: { _ in true }, name: { names[$0]! }) == 0x200)
        #expect(pool.takeRenamable(isRenamable: { _ in true }, name: { names[$0]! }) == nil)
        #expect(pool.take(named: name("b")) == nil, "a renamed stub is no longer offered under its old name")
        #expect(pool.take(named: name("a")) == 0x100)
    }

    /// Issue 23: renames take the least recently released stub; a stub taken back by its name
    /// (or released again later) is not offered in its old place.
    @Test func theLeastRecentlyReleasedIsRenamedFirst() {
        var pool = ReleasedStubs()
        let names: [UInt: [UInt8]] = [0x100: name("a"), 0x200: name("b"), 0x300: name("c")]
        for address in [0x100, 0x200, 0x300] as [UInt] { pool.add(address, name: names[address]!, renamable: true) }
        #expect(pool.renamableCount == 3)
        #expect(pool.take(named: name("a")) == 0x100)
        pool.add(0x100, name: name("a"), renamable: true)  // released again: now the newest
        #expect(pool.takeRenamable(isRenamable: { _ in true }, name: { names[$0]! }) == 0x200)
        #expect(pool.takeRenamable(isRenamable: { _ in true }, name: { names[$0]! }) == 0x300)
        #expect(pool.takeRenamable(isRenamable: { _ in true }, name: { names[$0]! }) == 0x100)
        #expect(pool.renamableCount == 0 && pool.isEmpty)
        // 100,000 rounds of reuse by name (each leaves a stale element behind, compacted away).
        var wrong = 0
        for _ in 0..<100_000 {
            pool.add(0x100, name: name("a"), renamable: true)
            if pool.take(named: name("a")) != 0x100 { wrong += 1 }
        }
        #expect(wrong == 0)
        pool.add(0x200, name: name("b"), renamable: true)
        #expect(pool.takeRenamable(isRenamable: { _ in true }, name: { names[$0]! }) == 0x200)
    }

    @Test func aStubAMapCaughtUpWithStaysReusableByName() {
        var pool = ReleasedStubs()
        pool.add(0x100, name: name("a"), renamable: true)
        #expect(pool.takeRenamable(isRenamable: { _ in false }, name: { _ in name("a") }) == nil)
        #expect(pool.take(named: name("a")) == 0x100)
    }

    @Test func compactionDropsSupersededEntriesAndMapsCursors() {
        var registry = SymbolRegistry()
        for (address, text) in [(0x10, "one"), (0x20, "two"), (0x10, "one-renamed"), (0x30, "three")] {
            registry.append(address: UInt(address), size: 8, origin: .stub, sanitizedName: name(text))
        }
        registry.supersede(0)
        registry.supersede(0)  // twice counts once
        #expect(registry.supersededCount == 1)
        #expect(registry[0].superseded && !registry[2].superseded)
        #expect(registry.stubIndex() == [0x10: 2, 0x20: 1, 0x30: 3])
        let position = registry.compact()
        #expect(position == [0, 0, 1, 2, 3], "a file that had written k entries has written position[k] now")
        #expect(registry.count == 3 && registry.supersededCount == 0)
        #expect((0..<3).map { String(decoding: registry[$0].name, as: UTF8.self) } == ["two", "one-renamed", "three"])
        registry.removeLast()
        #expect(registry.count == 2)
    }
}
