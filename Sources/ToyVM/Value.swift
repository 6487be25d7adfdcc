/// A toy-language value.
public enum Value {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list(ListObject)
    case function(FunctionObject)
    case builtin(Builtin)
    /// Internal: a global slot that was never assigned. Never visible to programs.
    case undefined

    /// `false` and `nil` are false; everything else is true.
    @inline(__always)
    var isTruthy: Bool {
        switch self {
        case .bool(let value): value
        case .none, .undefined: false
        default: true
        }
    }

    var typeName: String {
        switch self {
        case .none, .undefined: "nil"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "string"
        case .list: "list"
        case .function, .builtin: "function"
        }
    }
}

/// A mutable list, shared by reference.
public final class ListObject {
    var elements: [Value]
    init(_ elements: [Value]) { self.elements = elements }
}

extension Value {
    /// `print` and `str` form: strings raw, floats shortest round-trip, lists `[1, "a"]`.
    func formatted() -> String {
        switch self {
        case .string(let text): text
        default: repr()
        }
    }

    /// The form inside a list: strings quoted.
    func repr() -> String {
        switch self {
        case .none, .undefined: "nil"
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .float(let value): Self.format(value)
        case .string(let text): Self.quote(text)
        case .list(let list): "[" + list.elements.map { $0.repr() }.joined(separator: ", ") + "]"
        case .function(let function): "<fn \(function.name)>"
        case .builtin(let builtin): "<builtin \(builtin.name)>"
        }
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return value.description
    }

    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// Structural equality; ints and floats compare numerically.
    func equals(_ other: Value) -> Bool {
        switch (self, other) {
        case (.none, .none), (.undefined, .undefined), (.none, .undefined), (.undefined, .none): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.float(let a), .float(let b)): a == b
        case (.int(let a), .float(let b)): Double(a) == b
        case (.float(let a), .int(let b)): a == Double(b)
        case (.string(let a), .string(let b)): a == b
        case (.list(let a), .list(let b)):
            a === b || (a.elements.count == b.elements.count
                && zip(a.elements, b.elements).allSatisfy { $0.equals($1) })
        case (.function(let a), .function(let b)): a === b
        case (.builtin(let a), .builtin(let b)): a == b
        default: false
        }
    }
}
