"""Real-browser tests: headless Chromium reads, searches and charts through ``newscrawl browse``.

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
# Screenshots go to output/; NEWSCRAWL_SHOTS=docs (make screenshots) refreshes the README's.
SHOTS = ROOT / os.environ.get("NEWSCRAWL_SHOTS", "output")
REFERENCE_TITLE = "Second China-Central Asia summit draws new blueprint for cooperation"
CHINESE_TITLE = "夏季达沃斯论坛聚焦新时代企业家精神"
CHINESE_WORD = "企业家"  # "entrepreneur", inside a clause of the Chinese article
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


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    """One headless Chromium for the module's tests (each starts from its own page)."""
    tmp_path = tmp_path_factory.mktemp("chromium")
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


@pytest.fixture(scope="module")
def browse_url(crawled_db, tmp_path_factory):
    """``newscrawl browse`` running in a subprocess on a copy of the crawled database, one
    for the module's tests: they only read."""
    tmp_path = tmp_path_factory.mktemp("browse")
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


def wait_for(driver, condition, timeout: float = 10):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / name))


def test_list_and_reading_view_in_a_real_browser(driver, browse_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(f"{browse_url}/articles/articles")
    # On a loaded machine the first page of a fresh Datasette can take a while to arrive.
    heading = wait_for(driver, ec.presence_of_element_located((By.TAG_NAME, "h1")), 30)
    assert "Articles" in heading.text, driver.page_source[:2000]
    items = driver.find_elements(By.CSS_SELECTOR, "ul.nc-list > li")
    assert len(items) == 10
    assert all(item.size["height"] < 90 for item in items)  # one compact entry each
    assert items[0].location["y"] < 900  # an article in view as the page opens
    assert not driver.find_elements(By.CSS_SELECTOR, "table.rows-and-columns")
    shot(driver, "browse-list.png")

    driver.find_element(By.LINK_TEXT, REFERENCE_TITLE).click()
    wait_for(driver, ec.url_contains("/-/newscrawl/article/"))
    assert driver.find_element(By.TAG_NAME, "h1").text == REFERENCE_TITLE
    body = driver.find_element(By.CSS_SELECTOR, "article .nc-body")
    assert len(body.find_elements(By.TAG_NAME, "p")) > 10
    assert 500 < body.size["width"] <= 720  # a readable measure, not a 4,200 px cell
    meta = driver.find_element(By.CSS_SELECTOR, "article .nc-meta").text
    assert "By Ma Miaomiao" in meta and "23 June 2025" in meta
    shot(driver, "browse-article.png")
    driver.find_element(By.CSS_SELECTOR, "a.nc-back").click()
    wait_for(driver, ec.url_matches(r"/articles/articles$"))


def test_ranked_search_with_snippets_and_a_facet_in_a_real_browser(driver, browse_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(f"{browse_url}/articles/articles")
    box = driver.find_element(By.CSS_SELECTOR, "form.nc-search input[name=q]")
    box.send_keys("summit", Keys.ENTER)
    wait_for(driver, ec.url_contains("/-/newscrawl/search?q=summit"))
    results = driver.find_elements(By.CSS_SELECTOR, "ol.nc-results > li")
    assert len(results) >= 2
    for result in results:
        marks = result.find_elements(By.CSS_SELECTOR, ".nc-snippet mark")
        assert marks and all(m.text.lower() == "summit" for m in marks)
    shot(driver, "browse-search.png")

    facet = driver.find_element(By.CSS_SELECTOR, ".nc-facet[data-facet=language]")
    facet.find_element(By.LINK_TEXT, "en").click()
    wait_for(driver, ec.url_contains("language=en"))
    assert "language en" in driver.find_element(By.CSS_SELECTOR, ".nc-count").text
    assert len(driver.find_elements(By.CSS_SELECTOR, "ol.nc-results > li")) == len(results)
    shot(driver, "browse-search-facet.png")

    driver.get(f"{browse_url}/-/newscrawl/search")
    box = driver.find_element(By.CSS_SELECTOR, "form.nc-search input[name=q]")
    box.send_keys(CHINESE_WORD, Keys.ENTER)
    wait_for(driver, ec.url_contains("/-/newscrawl/search?q="))
    results = driver.find_elements(By.CSS_SELECTOR, "ol.nc-results > li")
    assert len(results) == 1 and CHINESE_TITLE in results[0].text
    marks = results[0].find_elements(By.CSS_SELECTOR, ".nc-snippet mark")
    assert marks and {m.text for m in marks} == {CHINESE_WORD}
    shot(driver, "browse-search-zh.png")


def test_chart_bars_open_the_list_of_their_day(driver, browse_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(f"{browse_url}/-/newscrawl/chart")
    bars = driver.find_elements(By.CSS_SELECTOR, "a > rect[data-day]")
    assert sum(int(b.get_attribute("data-count")) for b in bars) == 10
    shot(driver, "browse-chart.png")
    bar = bars[len(bars) // 2]
    day, count = bar.get_attribute("data-day"), int(bar.get_attribute("data-count"))
    bar.click()
    wait_for(driver, ec.url_contains(f"published__startswith={day}"))
    items = driver.find_elements(By.CSS_SELECTOR, "ul.nc-list > li")
    assert len(items) == count
    assert driver.find_element(By.CSS_SELECTOR, "a.nc-clear").text == "← All articles"
    shot(driver, "browse-chart-day.png")
    driver.back()
    wait_for(driver, ec.url_contains("/-/newscrawl/chart"))
    driver.find_element(By.PARTIAL_LINK_TEXT, "Articles").click()
    wait_for(driver, ec.url_matches(r"/articles/articles$"))
