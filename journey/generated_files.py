"""The command line every generator of a checked-in file shares (docs, schema, rules).

`python -m journey.cli.docgen [OUTPUT] [--check]` and its siblings: argparse,
so `--help` prints help instead of becoming a file name, and `--check` exits 1
naming the stale file instead of writing it (what CI runs).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path


def generator_main(
    argv: list[str] | None,
    *,
    prog: str,
    description: str,
    render: Callable[[Path | None], Mapping[Path, str]],
    takes_output: bool = True,
) -> int:
    """Parse the arguments, render the files (path -> text), then write or check them.

    `render` gets the OUTPUT argument (None: the default place) when `takes_output`.
    """
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=description)
    if takes_output:
        parser.add_argument(
            "output", nargs="?", type=Path, help="where to write (default: %(prog)s's own file)"
        )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is stale"
    )
    args = parser.parse_args(argv)
    files = render(args.output if takes_output else None)
    if args.check:
        stale = [p for p, text in files.items() if not p.is_file() or p.read_text("utf-8") != text]
        for path in stale:
            print(f"{path} is stale: run `python -m {prog}`", file=sys.stderr)
        return 1 if stale else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        print(f"wrote {path}")
    return 0
