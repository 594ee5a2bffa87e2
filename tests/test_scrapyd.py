"""The scrapyd deployment, for real: a scrapyd on 127.0.0.1, ``scrapyd-deploy`` run on a copy
of the project (it builds the egg in place), then a scheduled job fills the database."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

BIN = Path(sys.executable).parent
PROJECT_FILES = ["crawler", "pipelines", "pyproject.toml", "setup.py", "scrapy.cfg", "README.md"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=10) as response:
        return json.load(response)


@pytest.fixture
def scrapyd(tmp_path):
    """A scrapyd bound to 127.0.0.1 with everything under tmp_path; yields its base URL."""
    if not (BIN / "scrapyd").exists():
        pytest.fail("scrapyd is not installed: run `make venv` (it is in the dev extras)")
    home, port = tmp_path / "scrapyd", free_port()
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = eggs\n"
        "logs_dir = logs\nitems_dir =\ndbs_dir = dbs\npoll_interval = 0.2\n")
    proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if api(base, "daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("scrapyd did not start")
        yield base, home
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_deploy_to_scrapyd_and_a_scheduled_job_fills_the_database(scrapyd, site_url, tmp_path):
    base, home = scrapyd
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, project / name)
    cfg = project / "scrapy.cfg"
    cfg.write_text(cfg.read_text().replace("http://127.0.0.1:6800/", f"{base}/"))

    deploy = subprocess.run([str(BIN / "scrapyd-deploy")], cwd=project, capture_output=True,
                            text=True, timeout=120)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert api(base, "listspiders.json?project=newscrawl")["spiders"] == ["world"]

    db = tmp_path / "scheduled.db"
    job = api(base, "schedule.json", [
        ("project", "newscrawl"), ("spider", "world"), ("start_url", f"{site_url}/World/"),
        ("setting", f"NEWSCRAWL_DB={db}"), ("setting", "DOWNLOAD_DELAY=0"),
        ("setting", "AUTOTHROTTLE_ENABLED=False")])
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        jobs = api(base, "listjobs.json?project=newscrawl")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        time.sleep(0.3)
    else:
        pytest.fail("the scheduled job did not finish in 90 s")

    log = next((home / "logs").rglob(f"{job['jobid']}.log")).read_text()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("select count(*) from articles").fetchone()[0] == 10, log[-3000:]
        assert conn.execute("select finish_reason, new from runs").fetchall() == [("finished", 10)]
    finally:
        conn.close()
