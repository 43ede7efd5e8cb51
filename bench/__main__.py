"""Run the benchmarks: `python3 tasks.py bench` (all) or `python3 tasks.py bench roundtrip`."""
from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["roundtrip", "encrypted", "search", "directory", "scheduling", "digests", "load", "onboarding"]


def main(argv: list[str]) -> int:
    chosen = argv or BENCHMARKS
    for name in chosen:
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
            return 2
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
