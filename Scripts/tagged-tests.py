#!/usr/bin/env python3
"""Prints, as one `a|b|c` alternation for `swift test --filter/--skip`, the suites and tests
under Tests/ that carry a Swift Testing tag: `tagged-tests.py backendSensitive`.

Scripts/test.sh selects by tag this way because this toolchain's `swift test --filter` does not
take `tag:` yet; a renamed suite keeps its tag, so it cannot drop out of a pass. Exits 1 if
nothing carries the tag (a typo must not select nothing silently)."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DECLARATION = re.compile(r"\s*(?:@\w+(?:\([^)]*\))?\s*)*(?:public\s+|final\s+)*(struct|class|enum|func)\s+(\w+)")


def tagged(tag):
    names = []
    pattern = re.compile(r"\.tags\([^)]*\." + re.escape(tag) + r"\b")
    for directory, _, files in os.walk(os.path.join(ROOT, "Tests")):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            text = open(os.path.join(directory, name), encoding="utf-8").read()
            for match in re.finditer(r"@(Suite|Test)\(", text):
                depth, end = 1, match.end()
                while depth and end < len(text):
                    depth += {"(": 1, ")": -1}.get(text[end], 0)
                    end += 1
                if not pattern.search(text[match.start():end]):
                    continue
                declaration = DECLARATION.match(text, end)
                if declaration:
                    names.append(declaration.group(2) + ("/" if declaration.group(1) != "func" else "("))
    return names


if __name__ == "__main__":
    found = [name for tag in sys.argv[1:] for name in tagged(tag)]
    if not found:
        sys.exit(f"error: no suite or test under Tests/ is tagged {' or '.join(sys.argv[1:])}")
    print("|".join(re.escape(name) for name in sorted(set(found))))
