/// A runtime error's message, before it knows its frames.
struct Failure: Error {
    let message: String
}

/// The language's operators on values (the slow, general paths; the dispatch loop inlines
/// the int fast paths).
enum Operations {
    enum Arithmetic: String {
        case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
    }

    enum Comparison: String {
        case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    }

    static func arithmetic(_ a: Value, _ b: Value, _ op: Arithmetic) -> Result<Value, Failure> {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            return integer(x, y, op)
        case (.int(let x), .float(let y)):
            return floating(Double(x), y, op)
        case (.float(let x), .int(let y)):
            return floating(x, Double(y), op)
        case (.float(let x), .float(let y)):
            return floating(x, y, op)
        case (.string(let x), .string(let y)) where op == .add:
            return .success(.string(x + y))
        case (.list(let x), .list(let y)) where op == .add:
            return .success(.list(ListObject(x.elements + y.elements)))
        default:
            return .failure(Failure(message: "unsupported operand types for '\(op.rawValue)': \(a.typeName) and \(b.typeName)"))
        }
    }

    private static func integer(_ x: Int, _ y: Int, _ op: Arithmetic) -> Result<Value, Failure> {
        let (result, overflow): (Int, Bool)
        switch op {
        case .add: (result, overflow) = x.addingReportingOverflow(y)
        case .subtract: (result, overflow) = x.subtractingReportingOverflow(y)
        case .multiply: (result, overflow) = x.multipliedReportingOverflow(by: y)
        case .divide:
            if y == 0 { return .failure(Failure(message: "division by zero")) }
            (result, overflow) = x.dividedReportingOverflow(by: y)
        case .remainder:
            if y == 0 { return .failure(Failure(message: "modulo by zero")) }
            (result, overflow) = x.remainderReportingOverflow(dividingBy: y)
        }
        if overflow { return .failure(Failure(message: "integer overflow in '\(op.rawValue)'")) }
        return .success(.int(result))
    }

    private static func floating(_ x: Double, _ y: Double, _ op: Arithmetic) -> Result<Value, Failure> {
        switch op {
        case .add: return .success(.float(x + y))
        case .subtract: return .success(.float(x - y))
        case .multiply: return .success(.float(x * y))
        case .divide:
            if y == 0 { return .failure(Failure(message: "division by zero")) }
            return .success(.float(x / y))
        case .remainder:
            if y == 0 { return .failure(Failure(message: "modulo by zero")) }
            return .success(.float(x.truncatingRemainder(dividingBy: y)))
        }
    }

    static func negate(_ a: Value) -> Result<Value, Failure> {
        switch a {
        case .int(let x):
            let (result, overflow) = Int(0).subtractingReportingOverflow(x)
            return overflow ? .failure(Failure(message: "integer overflow in unary '-'")) : .success(.int(result))
        case .float(let x):
            return .success(.float(-x))
        default:
            return .failure(Failure(message: "unsupported operand type for unary '-': \(a.typeName)"))
        }
    }

    static func compare(_ a: Value, _ b: Value, _ op: Comparison) -> Result<Value, Failure> {
        let order: Int
        switch (a, b) {
        case (.int(let x), .int(let y)): order = x < y ? -1 : (x == y ? 0 : 1)
        case (.int(let x), .float(let y)): order = ordering(Double(x), y)
        case (.float(let x), .int(let y)): order = ordering(x, Double(y))
        case (.float(let x), .float(let y)):
            if x.isNaN || y.isNaN { return .success(.bool(false)) }
            order = ordering(x, y)
        case (.string(let x), .string(let y)): order = x < y ? -1 : (x == y ? 0 : 1)
        default:
            return .failure(Failure(message: "cannot compare \(a.typeName) and \(b.typeName) with '\(op.rawValue)'"))
        }
        switch op {
        case .less: return .success(.bool(order < 0))
        case .lessEqual: return .success(.bool(order <= 0))
        case .greater: return .success(.bool(order > 0))
        case .greaterEqual: return .success(.bool(order >= 0))
        }
    }

    private static func ordering(_ x: Double, _ y: Double) -> Int {
        x < y ? -1 : (x == y ? 0 : (x > y ? 1 : 0))
    }

    static func index(_ container: Value, _ index: Value) -> Result<Value, Failure> {
        guard case .int(let i) = index else {
            return .failure(Failure(message: "index must be an int, not \(index.typeName)"))
        }
        switch container {
        case .list(let list):
            guard i >= 0 && i < list.elements.count else {
                return .failure(Failure(message: "index \(i) out of range for list of length \(list.elements.count)"))
            }
            return .success(list.elements[i])
        case .string(let text):
            let scalars = text.unicodeScalars
            guard i >= 0 && i < scalars.count else {
                return .failure(Failure(message: "index \(i) out of range for string of length \(scalars.count)"))
            }
            return .success(.string(String(scalars[scalars.index(scalars.startIndex, offsetBy: i)])))
        default:
            return .failure(Failure(message: "cannot index a value of type \(container.typeName)"))
        }
    }

    static func storeIndex(_ container: Value, _ index: Value, _ value: Value) -> Failure? {
        guard case .list(let list) = container else {
            return Failure(message: "cannot assign to an element of a value of type \(container.typeName)")
        }
        guard case .int(let i) = index else { return Failure(message: "index must be an int, not \(index.typeName)") }
        guard i >= 0 && i < list.elements.count else {
            return Failure(message: "index \(i) out of range for list of length \(list.elements.count)")
        }
        list.elements[i] = value
        return nil
    }
}
