"""Run ``pip-audit`` over the virtualenv's installed packages (the project itself excluded).

Why a wrapper: the check must fail on a real known vulnerability, but must not fail — nor
pass silently — when the vulnerability data cannot be reached. pip-audit reports a package it
could not look up as "skipped" and still exits 0, so a machine without access to PyPI's
per-release JSON API would otherwise print "No known vulnerabilities found" having audited
nothing. Here: vulnerabilities → exit 1; nothing audited (offline, or a mirror without the
per-release API) → a printed warning and exit 0; otherwise a one-line summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def main() -> int:
    cmd = [
        os.environ.get("PIP_AUDIT", str(VENV_BIN / "pip-audit")),  # tests substitute it
        "--skip-editable",
        "--progress-spinner",
        "off",
        "--format",
        "json",
        "--timeout",
        "20",
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    except FileNotFoundError:
        print("pip-audit: not installed (pip install -e '.[dev]')", file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired:
        print("WARNING: pip-audit timed out; dependency audit SKIPPED", file=sys.stderr)
        return 0
    try:
        report = json.loads(done.stdout)
    except ValueError:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        if any(w in " ".join(tail) for w in ("Connection", "resolve", "Max retries", "Network")):
            print(
                f"WARNING: network unreachable; dependency audit SKIPPED: {tail}", file=sys.stderr
            )
            return 0
        print("pip-audit failed:\n" + "\n".join(tail), file=sys.stderr)
        return 1
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    audited = [d for d in deps if "skip_reason" not in d]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        return 1
    if not audited:
        print(
            f"WARNING: pip-audit could look up none of {len(deps)} packages (PyPI's per-release "
            "JSON API is unreachable from here); dependency audit SKIPPED",
            file=sys.stderr,
        )
        return 0
    print(
        f"pip-audit: {len(audited)} packages audited, {len(deps) - len(audited)} skipped, "
        "no known vulnerabilities"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
