import Foundation
import Testing

/// Issue 18: Lua 5.4 (Debian's source, Examples/Lua/lua-5.4-perftrampoline.patch) built against
/// the installed library. `Scripts/test.sh` builds it with Examples/Lua/build.sh and passes the
/// directory in `PERFTRAMPOLINE_LUA_DIR`; without it the suite skips visibly (a failure under
/// `PERFTRAMPOLINE_REQUIRE_PERF=1`).
@Suite(.serialized, .tags(.recordsWithPerf)) struct LuaTests {
    static let directory = ProcessInfo.processInfo.environment["PERFTRAMPOLINE_LUA_DIR"]
    static let programs = Harness.packageRoot.appendingPathComponent("Examples/Lua")

    static func built() -> (lua: String, plain: String)? {
        if let directory, FileManager.default.isExecutableFile(atPath: directory + "/lua") {
            return (directory + "/lua", directory + "/lua-plain")
        }
        let message = "SKIP LuaTests: PERFTRAMPOLINE_LUA_DIR does not hold the patched Lua (Scripts/test.sh builds it)"
        if Perf.required { Issue.record("\(message), and PERFTRAMPOLINE_REQUIRE_PERF=1") } else { print(message) }
        return nil
    }

    static func program(_ name: String) -> String { programs.appendingPathComponent(name).path }

    @Test(arguments: ["perf", "jitdump"])
    func perfNamesTheLuaChain(mode: String) throws {
        guard Perf.available(), let lua = Self.built()?.lua else { return }
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let samples = try Perf.profile(lua, [Self.program("chain.lua"), "300"], jitdump: mode == "jitdump",
                                       environment: ["PERFSUPPORT": mode == "perf" ? "1" : "jitdump"], in: dir).samples
        let file = Self.program("chain.lua")
        let chain = [("foo", 3), ("bar", 8), ("baz", 9)].map { "lua::\($0.0):\(file):\($0.1)" }
        let named = samples.map { $0.frames(prefixed: "lua::") }
        let naming = named.filter { $0.first == chain[0] }
        let complete = naming.filter { Array($0.prefix(3)) == chain }.count
        print("Lua \(mode): \(naming.count) samples name foo, \(complete) carry foo <- bar <- baz")
        #expect(naming.count >= 100, "\(naming.count) samples name foo; e.g. \(named.first { !$0.isEmpty } ?? [])")
        #expect(Double(complete) >= 0.99 * Double(naming.count), "\(complete) of \(naming.count) full chains")
    }

    /// Coroutines yielding across re-entered frames, pcall errors unwinding through trampolines,
    /// 150,000-deep recursion, stack overflow as an error, a million tail calls, sort with a Lua
    /// comparator: the patched Lua computes what plain Lua computes, with profiling off and on.
    @Test(arguments: ["behaviour.lua", "fib.lua"])
    func patchedLuaComputesWhatPlainLuaComputes(program: String) throws {
        guard let (lua, plain) = Self.built() else { return }
        let path = Self.program(program)
        let reference = try Harness.run(plain, [path])
        #expect(reference.status == 0, "\(reference.stderr)")
        for setting in ["0", "1", "jitdump"] {
            // The dump in /tmp (removed by pid): anywhere else is one warning (JitDumpTests).
            let outcome = try Harness.run(lua, [path], environment: Harness.cleanEnvironment(["PERFSUPPORT": setting]))
            Harness.removeFiles(of: outcome.pid)
            #expect(outcome.status == 0, "PERFSUPPORT=\(setting): \(outcome.stderr)")
            #expect(outcome.stdout == reference.stdout, "PERFSUPPORT=\(setting)")
            #expect(outcome.stderr.isEmpty, "PERFSUPPORT=\(setting): \(outcome.stderr)")
        }
        print("Lua \(program): same output as plain Lua with PERFSUPPORT=0, 1 and jitdump")
    }

    @Test func thePerfTableSwitchesAtRunTime() throws {
        guard let lua = Self.built()?.lua else { return }
        let outcome = try Harness.run(lua, ["-e", """
            local function before() return 1 end
            before()
            print(perf.is_active())
            print(perf.activate("perf"))
            local function during() return 2 end
            during()
            perf.deactivate()
            print(perf.is_active(), perf.status():match("stubs=%d+"))
            """], environment: Harness.cleanEnvironment())
        defer { Harness.removeFiles(of: outcome.pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout == "false\ntrue\nfalse\tstubs=1\n", "\(outcome.stdout)")
        let names = (Harness.mapLines(outcome.pid) ?? []).compactMap { $0.split(separator: " ", maxSplits: 2).last }
        #expect(names.count == 1 && names[0].hasPrefix("lua::during:"), "\(names)")
    }

    /// Issue 15 in a real interpreter: the patch releases a function's trampoline when Lua's GC
    /// frees its prototype (luaF_freeproto). 20,000 chunks from `load` over 10 chunk names stay
    /// at a few dozen stubs in perf-map mode (54 measured); in jitdump mode 20,000 distinct names do
    /// too (46).
    @Test(arguments: ["1", "jitdump"])
    func freedPrototypesGiveTheirTrampolinesBack(setting: String) throws {
        guard let lua = Self.built()?.lua else { return }
        let dir = try Harness.writeTemporary("").dir
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let names = setting == "1" ? "i % 10" : "i"
        let outcome = try Harness.run(lua, ["-e", """
            local sum = 0
            for i = 1, 20000 do
              local f = load("return function(x) return x + 1 end", "=gen" .. (\(names)))()
              sum = sum + f(i)
              if i % 500 == 0 then collectgarbage() end
            end
            print(sum, perf.status():match("stubs=%d+"))
            """], environment: Harness.cleanEnvironment(["PERFSUPPORT": setting, "PERFTRAMPOLINE_JITDUMP_DIR": dir]))
        defer { Harness.removeFiles(of: outcome.pid) }
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let fields = outcome.stdout.split(whereSeparator: { $0 == "\t" || $0 == "\n" })
        #expect(fields.first == "200030000", "\(outcome.stdout)")
        let stubs = fields.count > 1 ? Int(fields[1].dropFirst(6)) ?? .max : .max
        #expect(stubs <= 200, "without release: 40,000 stubs; with it: \(stubs)")
        if setting == "1" {
            let lines = Harness.mapLines(outcome.pid) ?? []
            #expect(lines.count == stubs, "one line per stub, never a second name for an address")
            #expect(Set(lines.map { $0.split(separator: " ")[0] }).count == lines.count)
        }
    }
}
