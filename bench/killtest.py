"""The long kill -9 test: a real `journey run` over 2,000 contacts, killed at least 20 times.

Delivers over SMTP to aiosmtpd on 127.0.0.1; after the last restart runs to
completion, counts what is missing (must be 0) and how many duplicates arrived
(each recognisable by its Message-ID). Record the result in docs/benchmarks.md.

    python -m bench.killtest [--contacts 2000] [--kills 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import asdict
from pathlib import Path

from tests.daemon.crash_harness import run_crash_test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = run_crash_test(
            Path(tmp), count=args.contacts, kills=args.kills, seed_value=args.seed, timeout=600
        )
    print(json.dumps(asdict(report), indent=2))
    ok = report.missing == 0 and report.distinct_ids == report.expected
    print("PASS" if ok else "FAIL", f"missing={report.missing} duplicates={report.duplicates}")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
