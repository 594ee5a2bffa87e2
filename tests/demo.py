"""``make demo``: serve the fixture news site on 127.0.0.1 and crawl it, in one command.

The site is served on a fixed port (``--port``, ``make demo DEMO_PORT=N``), so its URLs are
the same every time: a second run is incremental (it fetches nothing it already stored and
says so) instead of a first crawl of a "new" site.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.fixture_site import build_site
from tests.server import serve

DEFAULT_PORT = 8765


def next_steps(db: str) -> str:
    """What to try after the demo crawl, as commands to copy."""
    steps = [
        (f"newscrawl browse --db {db}", "read and search it at http://127.0.0.1:8001/"),
        (f"make browse DB={db}", "the same, installing Datasette first"),
        (f"newscrawl runs --db {db}", "the run ledger"),
        (f"newscrawl export --db {db} --format csv -o output/demo.csv", "for other tools"),
        ("make demo", "again: an incremental run"),
    ]
    width = max(len(command) for command, _ in steps)
    return "\n".join(["", "Next (newscrawl is in .venv/bin):"]
                     + [f"  {c:<{width}}  # {why}" for c, why in steps])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="output/demo.db")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port of the fixture site on 127.0.0.1 (default {DEFAULT_PORT})")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        build_site(Path(tmp))
        try:
            server, base_url = serve(tmp, port=args.port)
        except OSError as exc:
            print(f"error: cannot serve the fixture site on 127.0.0.1:{args.port} "
                  f"({exc.strerror}): give another port, e.g. make demo DEMO_PORT=8766 "
                  "(a database crawled from another port is a different site)",
                  file=sys.stderr)
            return 1
        print(f"Serving the fixture site at {base_url}", flush=True)
        try:
            code = subprocess.call([
                sys.executable, "-m", "crawler.cli", "crawl",
                "--start-url", f"{base_url.rstrip('/')}/World/", "--db", args.db,
                "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"])
        finally:
            server.shutdown()
            server.server_close()
    if code == 0:
        print(next_steps(args.db))
    return code


if __name__ == "__main__":
    sys.exit(main())
