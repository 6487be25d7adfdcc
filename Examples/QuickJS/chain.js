// baz -> bar -> foo, and foo burns the CPU: the 3-deep chain the profiler tests look for.
// (bar and baz add 0 to the result so that their calls are not tail calls.)
function foo(n) {
    let s = 0;
    for (let i = 1; i <= n; i++) s += i % 7;
    return s;
}
function bar(n) { return foo(n) + 0; }
function baz(n) { return bar(n) + 0; }
let total = 0;
const rounds = Number(scriptArgs[1] ?? 50);
for (let k = 0; k < rounds; k++) total += baz(1000000);
console.log("total", total);
