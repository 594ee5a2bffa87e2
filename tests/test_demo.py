"""``make demo``: the fixture site on a fixed port, so the second run is incremental."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT
from tests.test_browser import free_port


def demo(db, port: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.demo", "--db", str(db),
                           "--port", str(port)], cwd=ROOT, capture_output=True, text=True,
                          timeout=180)


def test_demo_twice_is_a_first_crawl_then_an_incremental_run(tmp_path):
    db, port = tmp_path / "demo.db", free_port()
    first = demo(db, port)
    assert first.returncode == 0, first.stderr[-2000:]
    assert f"Serving the fixture site at http://127.0.0.1:{port}" in first.stdout
    assert f"OK: 127.0.0.1:{port}: 10 new and 0 updated articles stored" in first.stdout
    assert f"newscrawl browse --db {db}" in first.stdout
    assert f"newscrawl export --db {db}" in first.stdout

    second = demo(db, port)
    assert second.returncode == 0, second.stderr[-2000:]
    verdict = next(line for line in second.stdout.splitlines() if line.startswith("OK: "))
    assert "0 new and 0 updated articles stored (incremental run: " in verdict
    assert "known links not fetched again" in verdict
    assert "Duplicates: none" in second.stdout  # nothing re-fetched, nothing re-dropped
    assert "Articles: new 0, updated 0, unchanged 0" in second.stdout


def test_demo_on_a_busy_port_says_what_to_do(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = demo(tmp_path / "demo.db", busy.getsockname()[1])
    assert result.returncode == 1
    assert "give another port" in result.stderr and "DEMO_PORT" in result.stderr
