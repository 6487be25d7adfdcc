-- Behaviour that must not change with profiling on: coroutines (yield across re-entered
-- frames), pcall errors unwinding through trampolines, deep recursion, tail calls.
local co = coroutine.wrap(function(a)
  local function inner(x) return coroutine.yield(x + 1) + 0 end
  local r = inner(a)
  r = inner(r)
  return r * 10
end)
assert(co(1) == 2); assert(co(5) == 6); assert(co(7) == 70)
local gen = coroutine.wrap(function() for i = 1, 3 do local function y(v) coroutine.yield(v) end y(i) end end)
assert(gen() == 1 and gen() == 2 and gen() == 3)
local function thrower(n) if n == 0 then error("boom") end return thrower(n - 1) + 1 end
local ok, err = pcall(thrower, 500)
assert(not ok and err:find("boom"), err)
local ok3, err3 = pcall(function() local t = setmetatable({}, {__index = function(t, k) error("meta " .. k) end}); return t.x + 1 end)
assert(not ok3 and err3:find("meta x"))
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
assert(depth(150000) == 150000)
local function inf(n) return 1 + inf(n + 1) end
local ok2, e2 = pcall(inf, 1)
assert(not ok2 and e2:find("stack overflow"), e2)
local function tail(n) if n == 0 then return "done" end return tail(n - 1) end
assert(tail(1000000) == "done")
local t = {}
for i = 1, 1000 do t[i] = (i * 7919) % 1000 end
table.sort(t, function(a, b) return a < b end)
for i = 2, #t do assert(t[i - 1] <= t[i]) end
print("behaviour ok")
