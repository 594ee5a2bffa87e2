"""One real-browser test: headless Chromium searches the database through ``newscrawl browse``.

Chromium and its driver come from Debian (``.ci/run`` installs them). Under CI a missing
browser fails the test; a local run without one skips with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = ROOT / "output"
SEARCH_WORD = "Mamadazimov"  # a name only the reference article's body contains
REFERENCE_TITLE = "Second China-Central Asia summit draws new blueprint for cooperation"
# Offline and reproducible: no sandbox (root in CI), no calls home, a fresh profile.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                  "--window-size=1280,900")


def unavailable(reason: str) -> None:
    message = (f"{reason}. Install it with: apt-get install -y chromium chromium-driver "
               "(.ci/run does this) and pip install -e '.[dev]'")
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def driver(tmp_path):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed")
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not os.access(binary, os.X_OK):
            unavailable(f"{binary} is missing")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    browser.set_page_load_timeout(20)
    try:
        yield browser
    finally:
        browser.quit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def browse_url(crawled_db, tmp_path):
    """``newscrawl browse`` running in a subprocess on a copy of the crawled database."""
    db = tmp_path / "articles.db"
    shutil.copy(crawled_db[0], db)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "browse", "--db", str(db),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(url + "/-/versions.json", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    pytest.fail(f"newscrawl browse did not start:\n{proc.communicate()[0]}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
    assert (tmp_path / "articles.chart.html").is_file(), "browse writes the chart beside the db"


def test_search_box_finds_an_article_in_a_real_browser(driver, browse_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    SHOTS.mkdir(exist_ok=True)
    driver.get(f"{browse_url}/articles/articles")
    assert "Articles" in driver.find_element(By.TAG_NAME, "h1").text
    before = len(driver.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr"))
    assert before == 10

    box = driver.find_element(By.CSS_SELECTOR, "input[name=_search]")
    box.send_keys(SEARCH_WORD, Keys.ENTER)
    WebDriverWait(driver, 10).until(ec.url_contains(f"_search={SEARCH_WORD}"))
    rows = driver.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr")
    assert len(rows) == 1
    assert REFERENCE_TITLE in rows[0].text
    body = rows[0].find_element(By.CSS_SELECTOR, "td.col-text .nc-body")
    assert len(body.find_elements(By.TAG_NAME, "p")) > 10  # paragraphs, not one unbroken cell
    assert body.size["height"] < 200  # the table keeps long bodies to a short box
    driver.execute_script("document.querySelector('form.filters').scrollIntoView()")
    driver.save_screenshot(str(SHOTS / "browse-search.png"))

    driver.get(f"{browse_url}/-/newscrawl/chart")
    bars = driver.find_elements(By.CSS_SELECTOR, "rect[data-day]")
    assert sum(int(b.get_attribute("data-count")) for b in bars) == 10
    driver.save_screenshot(str(SHOTS / "browse-chart.png"))
