"""Run a benchmark: ``python -m bench NAME [args…]`` or ``python -m bench all``.

Each ``bench/<name>.py`` has ``main(argv) -> dict``; it prints a readable table and the
runner prints the returned figures as the last line, one JSON object. ``all`` runs each
benchmark in a process of its own.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path


def names() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        m.name
        for m in pkgutil.iter_modules([str(here)])
        if not m.name.startswith("_") and m.name != "common"
    )


def run(name: str, argv: list[str]) -> dict:
    module = importlib.import_module(f"bench.{name}")
    result = module.main(argv)
    print(json.dumps(result, default=str), flush=True)
    return result


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] in {"-h", "--help"}:
        print(f"usage: python -m bench NAME|all  (NAME: {', '.join(names())})")
        return 2
    name, argv = sys.argv[1], sys.argv[2:]
    if name == "all":
        # Each in a process of its own: a benchmark may point the environment at its scratch
        # database or leave an application configured; the next one must start clean.
        failed = []
        for each in names():
            print(f"== {each}", flush=True)
            if subprocess.run([sys.executable, "-m", "bench", each, *argv]).returncode:
                failed.append(each)
        if failed:
            print(f"failed: {', '.join(failed)}")
        return 1 if failed else 0
    if name not in names():
        print(f"unknown benchmark {name!r}; known: {', '.join(names())}")
        return 2
    run(name, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
