// Behaviour that must not change with profiling on: exceptions unwinding through trampolines,
// stack overflow as an error, generators and async functions resumed through their trampolines,
// closures, a JS comparator called from C (Array.prototype.sort), getters, constructors, Proxy
// traps, bound functions, and functions created and freed in a loop (their stubs given back).
// Prints the same lines as unpatched qjs; run as a module (it imports std for gc).
import * as std from "std";

function check(condition, what) {
    if (!condition) throw new Error("check failed: " + what);
}

// Exceptions through trampolines, caught at several depths, with finally blocks.
function thrower(n) {
    if (n === 0) throw new TypeError("boom");
    return thrower(n - 1) + 1;
}
let finallies = 0;
function guarded(n) {
    try { return thrower(n); } finally { finallies++; }
}
for (const n of [0, 1, 10, 500]) {
    try { guarded(n); check(false, "no throw"); } catch (e) { check(e instanceof TypeError && e.message === "boom", e); }
}
console.log("exceptions", finallies);

// The stack trace is QuickJS's own (its frame list), whatever the native stack looks like.
function level3() { throw new Error("trace"); }
function level2() { return level3(); }
function level1() { return level2(); }
try { level1(); } catch (e) {
    console.log(e.stack.split("\n").map(line => line.trim().split(" ")[1]).filter(Boolean).join(" < "));
}

// Recursion: 200 deep works (qjs built by gcc 16 in Debian sid overflowed its 1 MB default before 1,000, even unpatched); unbounded recursion is an error, and the engine carries on.
function depth(n) { return n === 0 ? 0 : 1 + depth(n - 1); }
check(depth(200) === 200, "depth 200");
function infinite(n) { return infinite(n + 1) + 1; }
for (let round = 0; round < 3; round++) {
    try { infinite(0); check(false, "no overflow"); } catch (e) { console.log("overflow", e.constructor.name, e.message); }
}
check(depth(200) === 200, "depth 200 after overflows");

// Generators and async functions: suspended frames resumed by JS_CallInternal.
function* naturals(limit) {
    for (let i = 0; i < limit; i++) {
        const sent = yield i;
        if (sent) i += sent;
    }
    return "done";
}
const gen = naturals(10);
const seen = [gen.next().value, gen.next().value, gen.next(3).value, gen.next().value];
console.log("generator", seen.join(","), [...naturals(5)].join(","));
function* delegating() { yield* naturals(3); yield "after"; }
console.log("yield*", [...delegating()].join(","));
function* failing() { yield 1; throw new RangeError("in generator"); }
try { for (const v of failing()) check(v === 1, "first value"); } catch (e) { console.log("generator throws", e.name, e.message); }

const log = [];
async function inner(x) { await null; log.push("inner " + x); return x * 2; }
async function fails() { await null; throw new Error("rejected"); }
async function outer() {
    let total = 0;
    for (let i = 1; i <= 3; i++) total += await inner(i);
    try { await fails(); } catch (e) { log.push("caught " + e.message); }
    return total;
}
async function* ticks(n) { for (let i = 0; i < n; i++) { await null; yield i; } }
outer().then(async total => {
    log.push("total " + total);
    for await (const t of ticks(3)) log.push("tick " + t);
    console.log("async", log.join("; "));
});

// Closures and counters.
function counter() { let c = 0; return { inc: () => ++c, get: () => c }; }
const counters = [counter(), counter()];
for (let i = 0; i < 1000; i++) counters[i % 2].inc();
console.log("closures", counters[0].get(), counters[1].get(), [1, 2, 3].map(x => y => x * y).map(f => f(10)).join(","));

// A JS comparator called from C, thousands of times.
const values = [];
for (let i = 0; i < 2000; i++) values.push((i * 7919) % 2003);
let comparisons = 0;
values.sort((a, b) => { comparisons++; return a - b; });
for (let i = 1; i < values.length; i++) check(values[i - 1] <= values[i], "sorted");
console.log("sort", values[0], values[values.length - 1], comparisons > 0);

// Getters, constructors, classes, Proxy traps, bound functions, call/apply, Reflect.
class Shape {
    constructor(side) { this.side = side; }
    get area() { return this.side * this.side; }
    static of(side) { return new this(side); }
}
class Square extends Shape { get area() { return super.area + 0; } }
const proxy = new Proxy({}, { get: (target, key) => "trapped " + String(key) });
const bound = function (a, b) { return this.base + a + b; }.bind({ base: 100 }, 1);
console.log("objects", Square.of(4).area, proxy.anything, bound(2), Math.max.apply(null, [3, 9, 4]),
            Reflect.apply(depth, null, [7]), [1, 2, 3].reduce((a, b) => a + b));

// Functions created and dropped: `new Function` and eval in a loop, collected as they go.
let made = 0;
for (let i = 0; i < 5000; i++) {
    const f = new Function("x", "return x + " + (i % 10));
    const g = (0, eval)("(function named" + (i % 10) + "(y) { return y * 2; })");
    made += f(1) + g(1);
    if (i % 1000 === 999) std.gc();
}
console.log("created", made);
