#!/usr/bin/env python3
"""Compiles every ```swift and ```c block of the given Markdown files (default: README.md and
Docs/*.md), so documentation cannot rot.

- Swift: each block becomes the main.swift of its own executable target in one scratch package
  that depends on this package by path (Swift 6 language mode), built with `swift build`.
- C: each block is compiled with gcc and with clang (-std=c11 -Wall -Werror) against the public
  header only (Sources/CPerfTrampoline/include/perftrampoline.h).
- A block preceded by the line `<!-- fragment: REASON -->` is not compiled (REASON required).

Exit status 0 when all compile; 1 with one `FILE:LINE: ...` line per failing block otherwise.
Usage: Scripts/check-snippets.py [--scratch DIR] [FILE.md ...]
"""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FENCE = re.compile(r"^```(\w*)\s*$")
FRAGMENT = re.compile(r"^<!-- fragment: (\S.*?) -->$")


def blocks(path):
    """(language, first line number, code, fragment reason or None) for each fenced block."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        language, start = match.group(1), i + 1
        previous = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        fragment = FRAGMENT.match(previous)
        end = start
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        yield language, start + 1, "\n".join(lines[start:end]) + "\n", fragment.group(1) if fragment else None
        i = end + 1


def run(command, cwd=None):
    result = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return result.returncode, result.stdout


def find_compiler(name):
    """`name` on PATH; for clang, else the one the Swift toolchain ships beside swiftc
    (Debian's swiftlang keeps it in /usr/libexec/swift/bin, off PATH)."""
    found = shutil.which(name)
    if found or name != "clang":
        return found
    swiftc = shutil.which("swiftc")
    if swiftc:
        beside = os.path.join(os.path.dirname(os.path.realpath(swiftc)), "clang")
        if os.access(beside, os.X_OK):
            return beside
    return None


def check_c(snippets, scratch, failures):
    header = os.path.join(ROOT, "Sources", "CPerfTrampoline", "include")
    for index, (where, code) in enumerate(snippets):
        source = os.path.join(scratch, f"snippet{index}.c")
        with open(source, "w") as f:
            f.write(code)
        for compiler in ("gcc", "clang"):
            path = find_compiler(compiler)
            if not path:
                failures.append(f"{where}: {compiler} not installed")
                continue
            status, output = run([path, "-std=c11", "-Wall", "-Werror", f"-I{header}", "-c", source,
                                  "-o", os.devnull])
            if status != 0:
                failures.append(f"{where}: C snippet does not compile with {compiler}:\n{output.strip()}")


def check_swift(snippets, scratch, failures):
    package = os.path.join(scratch, "swift")
    shutil.rmtree(os.path.join(package, "Sources"), ignore_errors=True)
    targets = []
    for index, (where, code) in enumerate(snippets):
        name = f"Snippet{index}"
        os.makedirs(os.path.join(package, "Sources", name), exist_ok=True)
        with open(os.path.join(package, "Sources", name, "main.swift"), "w") as f:
            f.write(code)
        targets.append((name, where))
    with open(os.path.join(package, "Package.swift"), "w") as f:
        f.write(f"""// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "Snippets",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "PerfTrampoline", path: {ROOT!r}),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
""".replace("'", '"'))
        for name, _ in targets:
            f.write(f'        .executableTarget(name: "{name}", dependencies: [.product(name: "PerfTrampoline", package: "PerfTrampoline"), .product(name: "Logging", package: "swift-log")]),\n')
        f.write("    ],\n    swiftLanguageModes: [.v6]\n)\n")
    # One target at a time: a failing target stops `swift build`, and every snippet must be judged.
    for name, where in targets:
        status, output = run(["swift", "build", "--package-path", package, "--target", name])
        if status == 0:
            continue
        errors = [line for line in output.split("\n") if "error:" in line]
        failures.append(f"{where}: Swift snippet does not compile:\n" + "\n".join(dict.fromkeys(errors) or [output[-4000:]]))


def main(arguments):
    scratch = os.path.join(ROOT, ".build-snippets")
    if arguments[:1] == ["--scratch"]:
        scratch, arguments = os.path.abspath(arguments[1]), arguments[2:]
    files = arguments or [os.path.join(ROOT, "README.md")] + sorted(
        os.path.join(ROOT, "Docs", name) for name in os.listdir(os.path.join(ROOT, "Docs")) if name.endswith(".md"))
    os.makedirs(scratch, exist_ok=True)
    swift, c, skipped = [], [], 0
    for path in files:
        for language, line, code, fragment in blocks(path):
            where = f"{os.path.relpath(path)}:{line}"
            if language not in ("swift", "c"):
                continue
            if fragment:
                skipped += 1
                continue
            (swift if language == "swift" else c).append((where, code))
    failures = []
    if c:
        check_c(c, scratch, failures)
    if swift:
        check_swift(swift, scratch, failures)
    for failure in failures:
        print(failure)
    print(f"snippets: {len(swift)} swift, {len(c)} c compiled; {skipped} fragments skipped; {len(failures)} failing")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
