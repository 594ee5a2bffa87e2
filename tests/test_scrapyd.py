"""The scrapyd deployment, for real: a scrapyd on 127.0.0.1, ``scrapyd-deploy`` run on a copy
of the project (it builds the egg in place), then a scheduled job fills the database."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
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


def api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None,
        auth: tuple[str, str] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(f"{base}/{endpoint}", data=body)
    if auth:
        token = base64.b64encode(":".join(auth).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def status_without_credentials(base: str, endpoint: str) -> int:
    try:
        with urllib.request.urlopen(f"{base}/{endpoint}", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


PASSWORD = secrets.token_hex(16)
AUTH = ("newscrawl", PASSWORD)


def scrapyd_env(port: int, password: str | None = PASSWORD) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPYD_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["SCRAPYD_HTTP_PORT"] = str(port)  # the documented conf, on a free port
    if password is not None:
        env["SCRAPYD_PASSWORD"] = password
    return env


@pytest.fixture
def scrapyd(tmp_path):
    """scrapyd started as README documents (deploy/scrapyd-start and deploy/scrapyd.conf,
    polling faster), everything under tmp_path; yields its base URL and folder."""
    if not (BIN / "scrapyd").exists():
        pytest.fail("scrapyd is not installed: run `make venv` (it is in the dev extras)")
    home, port = tmp_path / "scrapyd", free_port()
    home.mkdir()
    (home / "scrapyd.conf").write_text((ROOT / "deploy/scrapyd.conf").read_text()
                                       + "poll_interval = 0.2\n")
    proc = subprocess.Popen([str(ROOT / "deploy/scrapyd-start"), str(home)],
                            env=scrapyd_env(port), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if api(base, "daemonstatus.json", auth=AUTH)["status"] == "ok":
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("scrapyd did not start")
        yield base, home
    finally:
        proc.terminate()
        log, _err = proc.communicate(timeout=10)
    assert f"web console available at http://127.0.0.1:{port}/" in log  # loopback only
    assert "Basic authentication enabled" in log


def test_documented_scrapyd_refuses_requests_without_credentials(scrapyd, tmp_path):
    base, _home = scrapyd
    for endpoint in ("daemonstatus.json", "listprojects.json", "listjobs.json"):
        assert status_without_credentials(base, endpoint) == 401
    assert api(base, "listprojects.json", auth=AUTH)["status"] == "ok"
    with pytest.raises(urllib.error.HTTPError) as wrong:
        api(base, "listprojects.json", auth=("newscrawl", "not-the-password"))
    assert wrong.value.code == 401
    # And the start script will not start scrapyd without a password at all.
    refused = subprocess.run([str(ROOT / "deploy/scrapyd-start"), str(tmp_path / "other")],
                             env=scrapyd_env(free_port(), password=None), capture_output=True,
                             text=True, timeout=30)
    assert refused.returncode != 0 and "set SCRAPYD_PASSWORD" in refused.stderr
    assert not (tmp_path / "other").exists()


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

    # The deploy target sends the credentials; without the password it is refused.
    unauthorized = subprocess.run([str(BIN / "scrapyd-deploy")], cwd=project, text=True,
                                  capture_output=True, timeout=120, env=scrapyd_env(0, None))
    assert unauthorized.returncode != 0 and "401" in unauthorized.stdout + unauthorized.stderr
    deploy = subprocess.run([str(BIN / "scrapyd-deploy")], cwd=project, capture_output=True,
                            text=True, timeout=120, env=scrapyd_env(0))
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert api(base, "listspiders.json?project=newscrawl", auth=AUTH)["spiders"] == ["world"]

    db = tmp_path / "scheduled.db"

    def run_job(start_url: str) -> str:
        """Schedule a job of the deployed project, wait for it, return its log."""
        job = api(base, "schedule.json", [
            ("project", "newscrawl"), ("spider", "world"), ("start_url", start_url),
            ("setting", f"NEWSCRAWL_DB={db}"), ("setting", "DOWNLOAD_DELAY=0"),
            ("setting", "AUTOTHROTTLE_ENABLED=False"),
            ("setting", "NEWSCRAWL_RETRY_BACKOFF=0"),
            ("setting", "NEWSCRAWL_FLUSH_SECONDS=0.1")], auth=AUTH)
        assert job["status"] == "ok", job
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            jobs = api(base, "listjobs.json?project=newscrawl", auth=AUTH)
            if any(j["id"] == job["jobid"] for j in jobs["finished"]):
                break
            time.sleep(0.3)
        else:
            pytest.fail("the scheduled job did not finish in 90 s")
        return next((home / "logs").rglob(f"{job['jobid']}.log")).read_text()

    log = run_job(f"{site_url}/World/")
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("select count(*) from articles").fetchone()[0] == 10, log[-3000:]
        assert conn.execute("select finish_reason, new, verdict, exit_code from runs").fetchall() \
            == [("finished", 10, "ok", 0)]
    finally:
        conn.close()
    assert "Verdict (exit code 0): OK: " in log

    # A job whose site answers nothing: scrapyd lists it as finished, the ledger and the
    # job's log say it failed, with the exit code `newscrawl crawl` would give.
    log = run_job(f"http://127.0.0.1:{free_port()}/World/")
    assert "Verdict (exit code 69): FAILED: " in log, log[-3000:]
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("select verdict, exit_code from runs where id = 2").fetchall() == [
            ("failed", 69)]
    finally:
        conn.close()
    check = subprocess.run([sys.executable, "-m", "crawler.cli", "runs", "--db", str(db),
                            "--check"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert check.returncode == 69 and check.stdout.startswith("failed: run 2 "), check.stdout
