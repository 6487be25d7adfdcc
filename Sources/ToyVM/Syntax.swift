/// The syntax tree the parser builds and the compiler consumes.
struct Expression {
    indirect enum Kind {
        case integer(Int)
        case float(Double)
        case string(String)
        case boolean(Bool)
        case nilLiteral
        case name(String)
        case list([Expression])
        case negate(Expression)
        case not(Expression)
        case binary(BinaryOperator, Expression, Expression)
        case and(Expression, Expression)
        case or(Expression, Expression)
        case call(Expression, [Expression])
        case index(Expression, Expression)
    }

    let kind: Kind
    let line: Int
    let column: Int
}

enum BinaryOperator {
    case add, subtract, multiply, divide, remainder
    case equal, notEqual, less, lessEqual, greater, greaterEqual
}

struct Statement {
    indirect enum Kind {
        case function(FunctionDeclaration)
        case letBinding(String, Expression)
        case assign(String, Expression)
        case assignIndex(Expression, Expression, Expression)
        case ifElse([(condition: Expression, body: [Statement])], elseBody: [Statement]?)
        case whileLoop(Expression, [Statement])
        case returnValue(Expression?)
        case expression(Expression)
    }

    let kind: Kind
    let line: Int
    let column: Int
}

struct FunctionDeclaration {
    let name: String
    let parameters: [String]
    let body: [Statement]
    let line: Int
}
