"""Site profiles: the built-in default, TOML files and --start-url."""

import pytest

from crawler.sites import BJREVIEW, SiteError, get_site, load_site_file


def test_default_site_patterns():
    assert BJREVIEW.is_article("/World/202506/t20250623_800400123.html")
    assert not BJREVIEW.is_article("/World/202506/t20250623_800400123.html/extra")
    assert not BJREVIEW.is_article("/World/index_2.html")
    assert BJREVIEW.listing_page_number("/World/") == 0
    assert BJREVIEW.listing_page_number("/World/index.html") == 0
    assert BJREVIEW.listing_page_number("/World/index_7.html") == 7
    assert BJREVIEW.listing_page_number("/about.html") is None


def test_start_url_moves_the_site_and_keeps_its_hosts_as_aliases():
    site = get_site("bjreview", start_url="http://127.0.0.1:8000/World/")
    assert site.primary_host == "127.0.0.1:8000"
    assert site.scheme == "http"
    assert {"www.bjreview.com", "www.bjreview.com.cn"} <= site.all_hosts
    assert site.article_pattern == BJREVIEW.article_pattern


def test_site_file_defines_a_new_site(tmp_path):
    path = tmp_path / "mysite.toml"
    path.write_text('''
name = "example"
start_urls = ["https://news.example.org/world/"]
hosts = ["news.example.org"]
aliases = ["www.news.example.org"]
article_pattern = '^/world/\\d{4}/[a-z0-9-]+\\.html$'
listing_pattern = '^/world/(?:page/(\\d+)/)?$'
max_pages = 5
feeds = ["https://news.example.org/world/rss.xml"]
drop_line_patterns = ['^Follow us on']
''', encoding="utf-8")
    site = load_site_file(path)
    assert site.name == "example"
    assert site.is_article("/world/2025/summit-in-astana.html")
    assert site.listing_page_number("/world/page/3/") == 3
    assert site.feeds == ("https://news.example.org/world/rss.xml",)
    assert site.drop_line_patterns == ("^Follow us on",)


def test_site_file_can_extend_a_builtin(tmp_path):
    path = tmp_path / "bj.toml"
    path.write_text('extends = "bjreview"\nname = "bjreview-short"\nmax_pages = 2\n')
    site = load_site_file(path)
    assert site.max_pages == 2 and site.body_xpath == BJREVIEW.body_xpath


@pytest.mark.parametrize(("content", "message"), [
    ('name = "x"', "start_urls"),
    ('name = "x"\nstart_urls=["https://a/"]\nhosts=["a"]\narticle_pattern="("', "not a valid regex"),
    ('name = "x"\nbogus = 1', "unknown field"),
    ('name = ', "not valid TOML"),
])
def test_bad_site_files_say_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(SiteError, match=message):
        load_site_file(path)


def test_unknown_site_lists_the_known_ones():
    with pytest.raises(SiteError, match="bjreview"):
        get_site("nope")
