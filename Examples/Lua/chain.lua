-- baz -> bar -> foo, and foo burns the CPU: the 3-deep chain the profiler tests look for.
-- (bar and baz add 0 to the result so that their calls are not tail calls.)
local function foo(n)
  local s = 0
  for i = 1, n do s = s + i % 7 end
  return s
end
local function bar(n) return foo(n) + 0 end
local function baz(n) return bar(n) + 0 end
local total = 0
for k = 1, tonumber(arg[1] or 50) do total = total + baz(1000000) end
print("total", total)
