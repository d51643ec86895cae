"""`python -m bench` (or `make bench`): run every bench script in this folder, one after another.

A bench script is a module here with a `__main__` block; the others are its helpers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    scripts = [
        p
        for p in sorted(HERE.glob("*.py"))
        if not p.name.startswith("_") and '__name__ == "__main__"' in p.read_text(encoding="utf-8")
    ]
    failed = []
    for script in scripts:
        print(f"== bench.{script.stem}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{script.stem}"], cwd=HERE.parent).returncode:  # noqa: S603
            failed.append(script.stem)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
