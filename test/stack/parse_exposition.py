#!/usr/bin/env python3
"""Strict parse of a Prometheus exposition with the official Python client's own parsers.

Usage: parse_exposition.py text|openmetrics < exposition
Exits 0 and prints {"families": N, "samples": M, "names": [...]} when every line parses;
exits 1 with the parser's error otherwise. Run with Debian's /usr/bin/python3 and
python3-prometheus-client (the test suite does; .ci/run installs it).
"""
import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in ("text", "openmetrics"):
        print(__doc__, file=sys.stderr)
        return 2
    text = sys.stdin.read()
    parse = parse_text if sys.argv[1] == "text" else parse_openmetrics
    try:
        families = list(parse(text))
    except Exception as err:  # the parsers raise ValueError (and others) on any malformed input
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        return 1
    names = sorted({f.name for f in families})
    if len(names) != len(families):
        print("a metric family appears twice", file=sys.stderr)
        return 1
    samples = sum(len(f.samples) for f in families)
    print(json.dumps({"families": len(families), "samples": samples, "names": names}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
