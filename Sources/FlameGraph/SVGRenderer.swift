/// Renders a ``CallTree`` as a flame graph SVG (root at the bottom, width ∝ samples), with a
/// tooltip per frame. Self-contained: no script, no external resources.
public struct SVGRenderer {
    /// Geometry and title of the picture; frames narrower than `minimumWidth` are not drawn.
    public var width = 1200.0
    public var frameHeight = 17.0
    public var title = "Flame graph"
    public var minimumWidth = 0.3

    /// A renderer with the default geometry.
    public init() {}

    /// The SVG document of `root`.
    public func render(_ root: CallTree) -> String {
        let depth = Self.depth(of: root)
        let top = 40.0
        let height = top + Double(depth + 1) * frameHeight + 20
        var body: [String] = []
        let scale = root.count > 0 ? (width - 20) / Double(root.count) : 0
        func draw(_ node: CallTree, x: Double, level: Int) {
            let w = Double(node.count) * scale
            guard w >= minimumWidth else { return }
            let y = height - 20 - Double(level + 1) * frameHeight
            let percent = root.count > 0 ? Double(node.count) * 100 / Double(root.count) : 0
            let label = "\(node.name) (\(node.count) samples, \(Self.format(percent))%)"
            body.append("<g><title>\(Self.escape(label))</title>"
                + "<rect x=\"\(Self.format(x))\" y=\"\(Self.format(y))\" width=\"\(Self.format(w))\" height=\"\(Self.format(frameHeight - 1))\" fill=\"\(Self.color(for: node.name))\" rx=\"2\"/>"
                + text(node.name, x: x, y: y, width: w) + "</g>")
            var childX = x
            for child in node.sortedChildren {
                draw(child, x: childX, level: level + 1)
                childX += Double(child.count) * scale
            }
        }
        draw(root, x: 10, level: 0)
        return """
            <?xml version="1.0" standalone="no"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Verdana, sans-serif" font-size="12">
            <rect x="0" y="0" width="100%" height="100%" fill="#fbfbf7"/>
            <text x="\(Int(width / 2))" y="24" text-anchor="middle" font-size="17">\(Self.escape(title))</text>
            \(body.joined(separator: "\n"))
            </svg>

            """
    }

    private func text(_ name: String, x: Double, y: Double, width: Double) -> String {
        let characters = Int((width - 6) / 7)
        guard characters >= 3 else { return "" }
        let shown = name.count <= characters ? name : String(name.prefix(characters - 2)) + ".."
        return "<text x=\"\(Self.format(x + 3))\" y=\"\(Self.format(y + frameHeight - 5))\">\(Self.escape(shown))</text>"
    }

    static func depth(of node: CallTree) -> Int {
        1 + (node.children.values.map(depth).max() ?? 0)
    }

    /// Warm colours, stable per name; interpreted frames (`prefix::`) greener.
    static func color(for name: String) -> String {
        var hash: UInt32 = 2166136261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16777619 }
        let vary = Int(hash % 55)
        if name.contains("::") { return "rgb(\(110 + vary),\(190 + vary / 2),\(80 + vary / 3))" }
        if name == "all" || name == "[native]" { return "rgb(200,200,200)" }
        return "rgb(\(205 + vary),\(90 + vary * 2),\(40 + vary / 2))"
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
