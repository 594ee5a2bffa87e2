"""``make demo``: serve the fixture news site on 127.0.0.1 and crawl it, in one command."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.fixture_site import build_site
from tests.server import serve


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="output/demo.db")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        build_site(Path(tmp))
        server, base_url = serve(tmp)
        print(f"Serving the fixture site at {base_url}", flush=True)
        try:
            return subprocess.call([
                sys.executable, "-m", "crawler.cli", "crawl",
                "--start-url", f"{base_url.rstrip('/')}/World/", "--db", args.db,
                "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                "-s", "LOG_LEVEL=WARNING"])
        finally:
            server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
