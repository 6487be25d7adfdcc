// Naive recursive Fibonacci: the call-heavy program of the instruction benchmark (bench.sh).
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
console.log(fib(Number(scriptArgs[1] ?? 25)));
