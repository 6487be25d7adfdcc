import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import FlameGraph

@Suite struct FlameGraphTests {
    static let script = """
        toyvm  3760   738.038448:    1001001 cpu-clock:ppp:
        \t    7f950397803a toy::foo:a.toy+0xa (/tmp/perf-3760.map)
        \t           38b5b $s5ToyVM11InterpreterC7execute+0x8eb (/work/toyvm)
        \t    7f950397802a toy::bar:a.toy+0xa (/tmp/perf-3760.map)
        \t    7f950397800a toy::<module>:a.toy+0xa (/tmp/perf-3760.map)

        toyvm  3760   738.039448:    1001001 cpu-clock:ppp:
        \t           38b5b $s5ToyVM11InterpreterC7execute+0x8eb (/work/toyvm)
        \t    7f950397803a toy::fib:a.toy+0xa (/tmp/perf-3760.map)
        \t    7f950397803a toy::fib:a.toy+0xa (/tmp/perf-3760.map)
        \t    7f950397803a toy::fib:a.toy+0xa (/tmp/perf-3760.map)
        \t    7f950397800a toy::<module>:a.toy+0xa (/tmp/perf-3760.map)

        toyvm  3760   738.040448:    1001001 cpu-clock:ppp:
        \t            8e5f do_lookup_x+0xff (/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)

        """

    @Test func parsesSamplesAndSymbols() {
        let parsed = PerfScript(text: Substring(Self.script))
        #expect(parsed.samples.count == 3)
        #expect(parsed.samples[0].pid == 3760)
        #expect(parsed.samples[0].frames == ["toy::foo:a.toy", "$s5ToyVM11InterpreterC7execute", "toy::bar:a.toy", "toy::<module>:a.toy"])
        #expect(parsed.samples[2].frames == ["do_lookup_x"])
    }

    @Test func hotFunctionsCountSelfTotalAndCallersWithoutDoubleCountingRecursion() {
        let samples = PerfScript(text: Substring(Self.script)).samples
        let hot = HotFunctions(samples: samples, keep: { $0.hasPrefix("toy::") })
        let fib = hot.entries.first { $0.name == "toy::fib:a.toy" }!
        #expect(fib.selfSamples == 1)
        #expect(fib.totalSamples == 1)
        #expect(fib.callers.first { $0.name == "toy::fib:a.toy" }?.samples == 1)
        let module = hot.entries.first { $0.name == "toy::<module>:a.toy" }!
        #expect(module.totalSamples == 2)
        #expect(module.selfSamples == 0)
        let text = hot.render()
        #expect(text.contains(" 33.3%   33.3%  toy::foo:a.toy"))
        #expect(!text.contains("66.7%  toy::fib"))
    }

    @Test func svgIsWellFormedAndEscaped() throws {
        let samples = PerfScript(text: Substring(Self.script)).samples
        let tree = CallTree.build(from: samples, keep: { $0.hasPrefix("toy::") }, keepNativeLeaf: true)
        #expect(tree.count == 3)
        var renderer = SVGRenderer()
        renderer.title = "a <b> & \"c\""
        let svg = renderer.render(tree)
        let document = try XMLDocument(xmlString: svg)
        #expect(document.rootElement()?.name == "svg")
        #expect(svg.contains("toy::&lt;module&gt;:a.toy"))
        #expect(svg.contains("a &lt;b&gt; &amp; &quot;c&quot;"))
        #expect(svg.components(separatedBy: "<rect").count - 1 >= 6)
    }
}

/// Issue 13: any interpreter's prefix is found in the data, with no flag.
@Suite struct InterpreterPrefixTests {
    @Test func theMostCommonPrefixOfPerfMapAndJittedFramesWins() {
        let text = """
            lua 10 1.0: 1 cpu-clock:
            \t    7f95 lua::fib:a.lua:1+0xa (/tmp/perf-10.map)
            \t    55aa luaV_execute+0x10 (/usr/bin/lua)
            \t    7f95 lua::<main>:a.lua:0+0xa (/tmp/perf-10.map)
            \t    55aa std::vector<int>::push_back+0x1 (/usr/bin/lua)

            lua 10 1.1: 1 cpu-clock:
            \t    7f96 lua::g:a.lua:3+0x4 (/tmp/jitted-10-7.so)
            \t    7f95 cdemo::x:y+0xa (/tmp/perf-10.map)

            """
        let script = PerfScript(text: Substring(text))
        #expect(script.samples[0].objects == ["/tmp/perf-10.map", "/usr/bin/lua", "/tmp/perf-10.map", "/usr/bin/lua"])
        #expect(InterpreterPrefix.detect(in: script.samples) == "lua::")
    }

    @Test func nativeOnlyProfilesHaveNoPrefix() {
        let text = "a 1 1.0: 1 cpu-clock:\n\t    55aa std::sort+0x1 (/usr/bin/a)\n\n"
        #expect(InterpreterPrefix.detect(in: PerfScript(text: Substring(text)).samples) == nil)
        #expect(InterpreterPrefix.prefix(of: "toy::fib:a.toy") == "toy::")
        #expect(InterpreterPrefix.prefix(of: "::weird") == nil)
    }
}
