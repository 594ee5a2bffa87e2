"""The ``newscrawl`` command: a thin click layer over the spider and the pipeline functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from crawler import __version__
from crawler.sites import SITES, Site, SiteError, get_site

DEFAULT_DB = "output/articles.db"


def project_settings(overrides: tuple[str, ...] = ()) -> Any:
    """The project's Scrapy settings plus ``-s NAME=VALUE`` overrides."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="-s")
        settings.set(name.strip(), value, priority="cmdline")
    return settings


def site_options(func: Any) -> Any:
    """--site / --site-file / --start-url, identical on every command that takes a site."""
    func = click.option("--start-url", metavar="URL",
                        help="Crawl a mirror or local copy; the site's URL patterns still apply.")(func)
    func = click.option("--site-file", type=click.Path(dir_okay=False), metavar="FILE",
                        help="A TOML site profile (fields of crawler.sites.Site).")(func)
    func = click.option("--site", metavar="NAME",
                        help=f"A built-in site profile: {', '.join(sorted(SITES))}.")(func)
    return func


def read_db_option(func: Any) -> Any:
    """--db for commands that only read a database: same flag and default as crawl's."""
    return click.option("--db", default=DEFAULT_DB, show_default=True,
                        type=click.Path(dir_okay=False), help="The SQLite database to read.")(func)


def existing_db(db: str) -> Path:
    """``db`` as a path, or an error that says how to make one (never a new empty file)."""
    path = Path(db)
    if not path.is_file():
        raise click.ClickException(f"no database at {db}: crawl first "
                                   f"(newscrawl crawl --db {db}) or give --db PATH")
    return path


def resolve_site(site: str | None, site_file: str | None, start_url: str | None) -> Site:
    if site and site_file:
        raise click.UsageError("give --site or --site-file, not both")
    try:
        return get_site(site, site_file, start_url)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newscrawl")
def cli() -> None:
    """Crawl a news site's World section into a clean, de-duplicated SQLite database."""


@cli.command()
@site_options
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The SQLite database to write.")
@click.option("--max-pages", type=click.IntRange(min=0), help="Listing pages to follow at most.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting (repeatable), e.g. -s DOWNLOAD_DELAY=0.")
def crawl(site: str | None, site_file: str | None, start_url: str | None, db: str,
          max_pages: int | None, overrides: tuple[str, ...]) -> None:
    """Crawl a site's section and store its articles.

    Example:

        newscrawl crawl --site bjreview --db output/articles.db
    """
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.world import WorldSpider
    from crawler.summary import format_summary

    profile = resolve_site(site, site_file, start_url)
    settings = project_settings(overrides)
    settings.set("NEWSCRAWL_DB", db, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(WorldSpider)
    process.crawl(crawler, site=profile.name if not site_file else None, site_file=site_file,
                  start_url=start_url, max_pages=max_pages)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    click.echo(format_summary(stats, db))
    reason = stats.get("finish_reason")
    if reason != "finished":
        raise click.ClickException(f"the crawl did not finish normally: {reason}")
    if not stats.get("downloader/response_status_count/200"):
        raise click.ClickException("nothing was fetched: is the site reachable?")


def _pick_site(url: str | None, raw: bytes, explicit: Site | None) -> Site | None:
    """The given site, else the built-in site that owns the page's URL or canonical link."""
    from pipelines.extract import sniff_canonical

    if explicit is not None:
        return explicit
    hosts = {(urlsplit(u).netloc or "").lower() for u in (url, sniff_canonical(raw)) if u}
    return next((s for s in SITES.values() if hosts & s.all_hosts), None)


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per target and line.")
@click.option("--db", type=click.Path(dir_okay=False),
              help="Also store the results, de-duplicated against crawled rows.")
@click.option("--url", "base_url", help="The URL of a saved file without a canonical link.")
@site_options
@click.option("--allow-private", is_flag=True,
              help="Allow URLs on loopback or private addresses (your own network).")
def extract(targets: tuple[str, ...], as_json: bool, db: str | None, base_url: str | None,
            site: str | None, site_file: str | None, start_url: str | None,
            allow_private: bool) -> None:
    """Extract the article from each TARGET: a URL or a saved HTML file.

    Prints the clean text, or with --json one object per target with target, url, title,
    authors, published, language, language_probability and text.

    Example:

        newscrawl extract saved-page.html --json
    """
    from crawler.fetch import FetchError, fetch
    from pipelines.extract import NoArticle, extract as extract_article
    from pipelines.store import Store, StoreError

    explicit = resolve_site(site, site_file, start_url) if (site or site_file) else None
    store = None
    if db:
        try:
            store = Store(db)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
    failures = 0
    try:
        for target in targets:
            try:
                scheme = urlsplit(target).scheme.lower()
                if len(scheme) > 1 and scheme not in ("http", "https"):
                    raise FetchError(f"only http and https URLs can be fetched, not {scheme}:")
                if scheme in ("http", "https"):
                    page = fetch(target, allow_private=allow_private)
                    raw, url, encoding = page.body, page.url, page.encoding
                else:
                    path = Path(target)
                    if not path.is_file():
                        raise FetchError(f"no such file: {target}")
                    raw, url, encoding = path.read_bytes(), base_url, None
                profile = _pick_site(url, raw, explicit)
                article = extract_article(raw, url, profile, encoding=encoding)
                if store is not None:
                    if not article.url:
                        raise FetchError("the page has no canonical link: give --url to store it")
                    store.save(article, profile.name if profile else urlsplit(article.url).netloc,
                               fetched_url=url)
            except (FetchError, NoArticle, OSError) as exc:
                failures += 1
                click.echo(f"error: {target}: {exc}", err=True)
                if as_json:
                    click.echo(json.dumps({"target": target, "error": str(exc)}, ensure_ascii=False))
                continue
            if as_json:
                record = {"target": target, "url": article.url, "title": article.title,
                          "authors": article.authors, "published": article.published,
                          "language": article.language,
                          "language_probability": article.language_probability,
                          "text": article.text}
                click.echo(json.dumps(record, ensure_ascii=False))
            else:
                if len(targets) > 1:
                    click.echo(f"==> {target} <==")
                click.echo(article.text)
    finally:
        if store is not None:
            store.close()
    if failures:
        sys.exit(1)


@cli.command()
@read_db_option
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535),
              help="Port on 127.0.0.1 to serve on.")
def browse(db: str, port: int) -> None:
    """Browse the database in Datasette on 127.0.0.1: search, facets, canned queries, a chart.

    Tables and columns are described, articles are sorted newest first with facets on site,
    language and publication month, and the search box searches titles and bodies. Safe to
    run while a crawl writes to the same database. Also writes the chart page beside the
    database as DB_STEM.chart.html.

    Example:

        newscrawl browse --db output/articles.db --port 8001
    """
    import socket
    import sqlite3

    path = existing_db(db)
    try:
        import uvicorn

        from crawler.browse import make_datasette, write_chart
    except ImportError as exc:
        raise click.ClickException(f"browsing needs Datasette ({exc.name} is missing): "
                                   "pip install 'newscrawl[browse]'") from None
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise click.ClickException(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}): "
                                       "give a free --port") from None
    try:
        click.echo(f"Chart: {write_chart(path)}")
    except (OSError, sqlite3.Error) as exc:  # e.g. a read-only folder: browse anyway
        click.echo(f"warning: chart page not written: {exc}", err=True)
    click.echo(f"Browse {path} at http://127.0.0.1:{port}/ (Ctrl+C to stop)")
    uvicorn.run(make_datasette(path).app(), host="127.0.0.1", port=port, log_level="warning")


@cli.command()
@read_db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True, help="JSON Lines (JSON columns as arrays) or CSV.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Only articles published on or after this day.")
@click.option("--language", metavar="CODE", help="Only articles detected in this language, e.g. en.")
@click.option("-o", "--output", default="-", show_default=True, type=click.Path(dir_okay=False,
              allow_dash=True), help="File to write; - is standard output.")
def export(db: str, fmt: str, since: Any, language: str | None, output: str) -> None:
    """Write the stored articles as JSON Lines or CSV, streaming (constant memory).

    Example:

        newscrawl export --format csv --since 2025-06-01 --language en -o articles.csv
    """
    import sqlite3

    from crawler.export import connect_readonly, export as export_articles, open_output

    conn = connect_readonly(existing_db(db))
    try:
        with open_output(output) as out:
            count = export_articles(conn, out, fmt, since.date() if since else None, language)
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot read {db}: {exc} (is it a newscrawl database?)") from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}: "
                                   "give -o a path in an existing, writable folder") from None
    finally:
        conn.close()
    click.echo(f"Exported {count} articles.", err=True)


def main() -> None:
    cli(prog_name="newscrawl")


if __name__ == "__main__":
    main()
