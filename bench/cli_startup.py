"""CPU seconds the `herald` command line costs to start: `herald --help` and a typical
command (`herald price list --json` on a migrated SQLite database), each with its bytecode
cached and without.

"Cached": every module's bytecode is first written into a temporary PYTHONPYCACHEPREFIX by
`python -m compileall` (Herald's package) and a first run of each command (the modules it
imports from the standard library and site-packages), then each command runs with that
prefix. "Not cached": PYTHONDONTWRITEBYTECODE=1 (what these machines set) and an empty
PYTHONPYCACHEPREFIX, so that every import compiles its source again.

    uv run python bench/cli_startup.py [--runs 5]

Prints one JSON line: the median CPU seconds (user + system of the child) of each case.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import herald

HERALD = shutil.which("herald", path=str(Path(sys.executable).parent)) or "herald"
COMMANDS = {"help": ["--help"], "price_list": ["price", "list", "--json"]}


def cpu_seconds(args: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([HERALD, *args], env=env, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(args: list[str], env: dict[str, str], runs: int) -> float:
    return round(statistics.median(cpu_seconds(args, env) for _ in range(runs)), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as work:
        base = {**os.environ, "HERALD_DATA_DIR": str(Path(work) / "data")}
        base.pop("HERALD_DATABASE_URL", None)
        cached = {**base, "PYTHONPYCACHEPREFIX": str(Path(work) / "pyc")}
        cached.pop("PYTHONDONTWRITEBYTECODE", None)
        package = str(Path(herald.__file__).parent)
        subprocess.run([sys.executable, "-m", "compileall", "-q", package], env=cached, check=True)
        for args in COMMANDS.values():  # writes the bytecode of what they import; migrates
            subprocess.run([HERALD, *args], env=cached, check=True, capture_output=True)
        uncached = {
            **base,
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPYCACHEPREFIX": str(Path(work) / "empty"),
        }
        figures = {}
        for name, args in COMMANDS.items():
            figures[f"{name}_cached_cpu_s"] = measure(args, cached, runs)
            figures[f"{name}_uncached_cpu_s"] = measure(args, uncached, runs)
    print(json.dumps({"runs": runs, **figures}))


if __name__ == "__main__":
    main()
