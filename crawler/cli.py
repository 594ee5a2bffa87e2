"""The ``newscrawl`` command: a thin click layer over the spider and the pipeline functions."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from crawler import __version__
from crawler.sites import SITES, Site, SiteError, get_site

DEFAULT_DB = "output/articles.db"


def _run_spider(settings: Any, verbosity: int, log_file: str | None, spider_cls: type,
                **kwargs: Any) -> Any:
    """Install the console log, run one spider to its end and return its crawler: the local
    crawl and a distributed worker start the same way."""
    from scrapy.crawler import CrawlerProcess

    from crawler import console

    try:
        console.install(settings, verbosity, log_file or settings.get("LOG_FILE"))
    except OSError as exc:
        raise click.ClickException(f"cannot write the log file {log_file}: {exc.strerror}")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, **kwargs)
    process.start()
    return crawler


def _crawl_settings(overrides: tuple[str, ...] | list[str], quiet: bool,
                    verbose: int) -> tuple[Any, int]:
    """The project's settings with ``-s`` overrides and the terminal's log level (unless
    ``-s LOG_LEVEL`` says otherwise), for a local crawl and a distributed worker alike."""
    from crawler import console
    from crawler.redact import remember_secrets

    settings = project_settings(overrides)
    remember_secrets(settings.items())
    verbosity = console.QUIET if quiet else verbose
    if not any(o.partition("=")[0].strip() == "LOG_LEVEL" for o in overrides):
        settings.set("LOG_LEVEL", logging.getLevelName(console.level_for(verbosity)),
                     priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    settings.set("NEWSCRAWL_PROGRESS", not quiet, priority="cmdline")
    return settings, verbosity


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


class RunFailed(click.ClickException):
    """A command that could not do its job, with the exit code that says why (69: the site
    is unreachable, 73: the database cannot be written)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def setting(name: str) -> Any:
    """A newscrawl default from crawler/settings.py, without starting Scrapy's settings
    machinery (the one-off commands should start fast)."""
    from crawler import settings

    return getattr(settings, name)


def site_options(func: Any) -> Any:
    """--site / --site-file / --start-url, identical on every command that takes a site."""
    func = click.option("--start-url", metavar="URL",
                        help="Crawl a mirror or local copy; the site's URL patterns still apply.")(func)
    func = click.option("--site-file", type=click.Path(dir_okay=False), metavar="FILE",
                        help="A TOML site profile (fields of crawler.sites.Site).")(func)
    func = click.option("--site", metavar="NAME",
                        help=f"A built-in site profile ({', '.join(sorted(SITES))}), or for "
                             "crawl one stored in the database.")(func)
    return func


def db_option(func: Any) -> Any:
    """--db for commands that work on an existing database: same flag and default as crawl's."""
    return click.option("--db", default=DEFAULT_DB, show_default=True,
                        type=click.Path(dir_okay=False), help="The SQLite database.")(func)


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
@click.argument("url", required=False, metavar="[URL]")
@site_options
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The SQLite database to write.")
@click.option("--max-pages", type=click.IntRange(min=0), metavar="N", help="Listing pages to follow at most.")
@click.option("--full", is_flag=True,
              help="Walk every listing page instead of stopping at known articles.")
@click.option("--jobdir", type=click.Path(file_okay=False), metavar="DIR",
              help="Keep the crawl's queue in DIR: stop it with one Ctrl-C/SIGTERM and run "
                   "the same command again to resume.")
@click.option("-v", "--verbose", count=True,
              help="Show Scrapy's log: -v at INFO, -vv at DEBUG with tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary.")
@click.option("--log-file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also keep the full log (INFO, tracebacks) in FILE.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as one JSON object (for schedulers).")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting (repeatable), e.g. -s DOWNLOAD_DELAY=0.")
@click.option("--redis-url", envvar="NEWSCRAWL_REDIS_URL", metavar="URL",
              help="Run as a worker of a distributed crawl: redis://[:PASSWORD@]HOST:PORT/DB "
                   "(or $NEWSCRAWL_REDIS_URL). Pages go to `newscrawl ingest`, not --db.")
@click.option("--seed", is_flag=True,
              help="With --redis-url: start a run, putting the site's start URLs on the frontier.")
@click.option("--idle-exit", type=click.FloatRange(min=0), metavar="SECONDS",
              help="With --redis-url: exit once nothing was waiting or in flight this long.")
def crawl(url: str | None, site: str | None, site_file: str | None, start_url: str | None,
          db: str, max_pages: int | None, full: bool, jobdir: str | None, verbose: int,
          quiet: bool, log_file: str | None, as_json: bool, overrides: tuple[str, ...],
          redis_url: str | None = None, seed: bool = False,
          idle_exit: float | None = None) -> None:
    """Crawl a site's section and store its new and changed articles.

    With a section URL and no --site/--site-file, the site's profile is inferred on the
    first run (see `newscrawl site infer`), stored in the database and reused on later
    runs; --site and --site-file win over inference.

    A run fetches the listing pages newest first until it meets the site's
    stop_after_known stored articles in a row, the new articles, and the stored ones
    due for a revisit.  It shows warnings, errors and a progress line, then a summary
    headed by the verdict.  Exit codes: 0 the run did its job, 69 nothing could be
    fetched, 73 the database cannot be written, 75 another run holds the database, 1 any
    other unfinished run.

    Example:

    \b
        newscrawl crawl --site bjreview --db output/articles.db
        newscrawl crawl https://news.example.org/world/ --db output/example.db
    """
    from crawler.outcome import RunVerdict, judge
    from crawler.redact import install as redact_logs
    from crawler.spiders.world import WorldSpider
    from crawler.summary import format_summary, summary_record

    if verbose and quiet:
        raise click.UsageError("give -v or -q, not both")
    redact_logs()  # before Scrapy logs its first line
    if url and start_url:
        raise click.UsageError("give the section URL once: as URL or as --start-url")
    if redis_url:
        return _worker(url, site, site_file, start_url, max_pages, full, jobdir, verbose,
                       quiet, log_file, as_json, overrides, redis_url, seed, idle_exit)
    if seed or idle_exit is not None:
        raise click.UsageError("--seed and --idle-exit are for workers: give --redis-url")
    if url and not (site or site_file):
        profile = section_profile(url, db)
    elif site and site not in SITES and not site_file:  # a profile stored in the database
        profile = _named_profile(site, db)
        if start_url or url:
            try:
                profile = profile.with_start_url(start_url or url)
            except SiteError as exc:
                raise click.ClickException(str(exc)) from None
    else:
        profile = resolve_site(site, site_file, start_url or url)
    settings, verbosity = _crawl_settings(overrides, quiet, verbose)
    settings.set("NEWSCRAWL_DB", db, priority="cmdline")
    if jobdir:
        settings.set("JOBDIR", jobdir, priority="cmdline")
    crawler = _run_spider(settings, verbosity, log_file, WorldSpider, profile=profile,
                          max_pages=max_pages, full=full)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    mode = ("full" if getattr(spider, "full", full) else "incremental") if spider else None
    # The RunVerdict extension judged the run (and recorded it in the ledger), as it does
    # for `scrapy crawl` and scrapyd jobs; judged here only if it never ran.
    verdict = RunVerdict.of(crawler) or judge(
        stats, profile.primary_host, db, mode=mode, jobdir=jobdir,
        max_failure_ratio=settings.getfloat("NEWSCRAWL_MAX_FAILURE_RATIO"),
        memory_limit_mb=settings.getint("MEMUSAGE_LIMIT_MB"))
    if as_json:
        record = {**verdict.record(), "site": profile.name, "host": profile.primary_host,
                  "mode": mode, **summary_record(stats, db)}
        click.echo(json.dumps(record, ensure_ascii=False))
    else:
        click.echo(format_summary(stats, db, verdict))
    sys.exit(verdict.exit_code)


def redis_client(redis_url: str) -> Any:
    """A connected Redis client, or the reason it cannot be reached (password redacted)."""
    import redis

    from crawler.distributed import connect
    from crawler.outcome import EXIT_UNREACHABLE
    from crawler.redact import redact, remember_secrets

    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise click.BadParameter(f"expected redis://[:PASSWORD@]HOST:PORT/DB, got "
                                 f"{redact(redis_url)}", param_hint="--redis-url")
    remember_secrets([("REDIS_PASSWORD", parts.password or "")])
    try:
        server = connect(redis_url)
        server.ping()
    except (redis.RedisError, ValueError) as exc:
        raise RunFailed(f"cannot reach Redis at {redact(redis_url)}: {redact(str(exc))}",
                        EXIT_UNREACHABLE) from None
    return server


def _worker(url: str | None, site: str | None, site_file: str | None, start_url: str | None,
            max_pages: int | None, full: bool, jobdir: str | None, verbose: int, quiet: bool,
            log_file: str | None, as_json: bool, overrides: tuple[str, ...], redis_url: str,
            seed: bool, idle_exit: float | None) -> None:
    """`crawl --redis-url`: one worker of a distributed crawl (crawler/distributed.py)."""
    from crawler.distributed import DistributedSpider, worker_settings
    from crawler.summary import format_summary, summary_record

    if jobdir:
        raise click.UsageError("--jobdir and --redis-url: the frontier is in Redis already")
    if verbose and quiet:
        raise click.UsageError("give -v or -q, not both")
    if url and not (site or site_file):
        raise click.UsageError("a worker never opens the database, so it cannot infer or "
                               "read a stored profile: give --site NAME (built-in) or "
                               "--site-file FILE, with --start-url for a mirror")
    if site and site not in SITES and not site_file:
        raise click.UsageError(f"--site {site}: a worker takes a built-in profile "
                               f"({', '.join(sorted(SITES))}) or --site-file FILE")
    profile = resolve_site(site, site_file, start_url or url)
    redis_client(redis_url)  # fail fast, before Scrapy starts
    settings, verbosity = _crawl_settings(overrides, quiet, verbose)
    worker_settings(settings, redis_url, profile.name, idle_exit or 0.0)
    crawler = _run_spider(settings, verbosity, log_file, DistributedSpider, profile=profile,
                          max_pages=max_pages, full=full, seed=seed)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    reason = stats.get("finish_reason")
    queued = stats.get("newscrawl/redis/queued_pages", 0)
    record = {**summary_record(stats, "-"), "database": None, "site": profile.name, "worker": True,
              "queued_pages": queued, "queued_skips": stats.get("newscrawl/redis/queued_skips", 0),
              "refused_payloads": stats.get("newscrawl/redis/refused", 0)}
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False))
    else:
        lines = format_summary(stats, "-").splitlines()
        click.echo(f"{'OK' if reason == 'finished' else 'STOPPED'}: worker of "
                   f"{profile.primary_host}: {queued} pages queued for the ingest "
                   f"({reason})")
        click.echo("\n".join(line for line in lines if not line.startswith(
            ("Articles:", "Duplicates", "Database:"))))
        if record["refused_payloads"]:
            click.echo(f"Refused request payloads (not newscrawl's JSON): "
                       f"{record['refused_payloads']}")
    sys.exit(0 if reason == "finished" else 1)


@cli.command()
@click.option("--redis-url", envvar="NEWSCRAWL_REDIS_URL", required=True, metavar="URL",
              help="redis://[:PASSWORD@]HOST:PORT/DB (or $NEWSCRAWL_REDIS_URL).")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
              help="The SQLite database to write.")
@click.option("--until-idle", type=click.FloatRange(min=0), metavar="SECONDS",
              help="Exit once the item queue, the frontier and every worker's flight have "
                   "been empty this long (default: run until stopped).")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a setting (repeatable), e.g. -s NEWSCRAWL_FLUSH_ROWS=500.")
def ingest(redis_url: str, db: str, until_idle: float | None,
           overrides: tuple[str, ...]) -> None:
    """Store the pages workers of a distributed crawl queued in Redis into the database.

    The one process that writes the database: same schema, de-duplication and template
    learning as a local crawl; a page leaves the queue only once committed.  Also publishes
    the stored URLs and the learned template to the workers, puts back the requests of
    workers that died, and writes one `runs` row per distributed run, with its verdict.
    Exit codes: 0 done, 69 Redis unreachable, 73 the database cannot be written, 75
    another run holds it (a run's own verdict is in its row: `newscrawl runs --check`).

    Example:

    \b
        newscrawl ingest --redis-url redis://:PASSWORD@10.0.0.5:6379/0 --db output/articles.db
    """
    import sqlite3

    import redis

    from crawler.ingest import Ingest
    from crawler.outcome import EXIT_DATABASE, EXIT_UNREACHABLE
    from crawler.redact import install as redact_logs, redact
    from pipelines.store import DatabaseLocked, StoreError

    redact_logs()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = redis_client(redis_url)
    settings = project_settings(overrides)
    job = Ingest(server, db, settings, until_idle)
    try:
        counts = job.run()
    except DatabaseLocked as exc:
        raise RunFailed(str(exc), 75) from None
    except (StoreError, sqlite3.Error, RuntimeError) as exc:
        raise RunFailed(f"cannot write {db}: {exc}", EXIT_DATABASE) from None
    except redis.RedisError as exc:
        raise RunFailed(f"lost Redis: {redact(str(exc))}; what was taken and not committed "
                        "goes back on the queue at the next start", EXIT_UNREACHABLE) from None
    stored = {k.rsplit("/", 1)[-1]: v for k, v in sorted(counts.items())
              if k.startswith("newscrawl/articles/")}
    dups = sum(v for k, v in counts.items() if k.startswith("newscrawl/dedup/"))
    pages = sum(v for k, v in counts.items() if k.startswith("newscrawl/") or k == "skip")
    click.echo(f"Ingested {pages} pages: " + ", ".join(f"{k} {v}" for k, v in stored.items())
               + f"; duplicates {dups}; pages without an article {counts['skip']}; "
               f"taken again after a kill {counts['again']}; refused {counts['refused']}")
    if job.closed_runs:
        click.echo(f"Runs closed: {', '.join(map(str, job.closed_runs))} "
                   f"(newscrawl runs --db {db})")
        for run_id in job.closed_runs:
            click.echo(f"Run {run_id}: {job.verdicts[run_id].text()}")
    click.echo(f"Database: {db}")


@cli.command()
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option("--redis-url", envvar="NEWSCRAWL_REDIS_URL", required=True, metavar="URL",
              help="redis://[:PASSWORD@]HOST:PORT/DB (or $NEWSCRAWL_REDIS_URL).")
@site_options
def enqueue(urls: tuple[str, ...], redis_url: str, site: str | None, site_file: str | None,
            start_url: str | None) -> None:
    """Put URLs of a site on a distributed crawl's frontier: article pages, listing pages
    (walked on from there), the site's feeds and sitemaps.  Waiting workers take them.

    Example:

    \b
        newscrawl enqueue --site bjreview https://www.bjreview.com/World/index_3.html
    """
    from crawler.distributed import enqueue_urls

    profile = resolve_site(site, site_file, start_url)
    server = redis_client(redis_url)
    try:
        queued, refused = enqueue_urls(server, profile, urls)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    for url, why in refused:
        click.echo(f"Not queued: {url}: {why}", err=True)
    click.echo(f"Queued {queued} of {len(urls)} URLs for {profile.name}")
    if refused:
        sys.exit(1)


def section_profile(url: str, db: str) -> Site:
    """The profile stored in ``db`` for the section at ``url``, else an inferred one (stored
    there for the next run).  Says which on stderr; fails with what inference missed."""
    from crawler.infer import InferenceError, SectionUnreachable, default_name, format_report, infer_site
    from crawler.outcome import EXIT_DATABASE, EXIT_UNREACHABLE
    from crawler.sites import site_from_dict, site_to_dict
    from pipelines.dedup import canonical_url
    from pipelines.sites_table import profile_for_url, profile_names, save_profile
    from pipelines.store import StoreError

    try:
        row = profile_for_url(db, canonical_url(url))
        if row is not None:
            profile = site_from_dict(row["profile"], f"profile {row['name']!r} stored in {db}")
            click.echo(f"Using the profile {row['name']!r} stored in {db} ({row['source']}, "
                       f"{row['updated']}); see: newscrawl site show {row['name']} --db {db}",
                       err=True)
            return profile
        taken = set(profile_names(db)) | set(SITES)
        name = default_name(url)
        name = next(n for n in (name, *(f"{name}-{i}" for i in range(2, 1000))) if n not in taken)
        try:
            report = infer_site(url, name=name)
        except InferenceError as exc:
            raise RunFailed(f"cannot infer a profile: {exc}",
                            EXIT_UNREACHABLE if isinstance(exc, SectionUnreachable) else 1) from None
        click.echo(format_report(report), err=True)
        # Keyed by the URL as given, so the next run finds it even if the section redirects.
        save_profile(db, name, canonical_url(url), site_to_dict(report.site), "inferred")
        click.echo(f"Inferred the profile {name!r} and stored it in {db}; see: "
                   f"newscrawl site show {name} --db {db}", err=True)
        return report.site
    except StoreError as exc:
        raise RunFailed(str(exc), EXIT_DATABASE) from None
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None


@cli.group("site")
def site_group() -> None:
    """Site profiles: infer one from a section URL, check one, show a stored one."""


@site_group.command("infer")
@click.argument("url")
@click.option("--name", metavar="NAME", help="The profile's name (default: from the host).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the profile to FILE (TOML) instead of standard output.")
def site_infer(url: str, name: str | None, output: str | None) -> None:
    """Propose a profile for the section at URL from a bounded sample of the site (at most
    30 requests): story URL pattern, pagination, feeds and sitemaps, hosts, byline, time
    zone.  Prints the profile as TOML and the dry run as comments after it.

    Example:

        newscrawl site infer https://news.example.org/world/ --name example -o example.toml
    """
    from crawler.infer import InferenceError, SectionUnreachable, format_report, infer_site
    from crawler.outcome import EXIT_UNREACHABLE
    from crawler.sites import site_to_toml

    try:
        report = infer_site(url, name=name)
    except InferenceError as exc:
        raise RunFailed(f"cannot infer a profile: {exc}",
                        EXIT_UNREACHABLE if isinstance(exc, SectionUnreachable) else 1) from None
    toml = site_to_toml(report.site)
    dry_run = "".join(f"# {line}\n" if line else "#\n" for line in format_report(report).splitlines())
    if output:
        try:
            Path(output).write_text(toml, encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
        click.echo(dry_run + f"# Wrote the profile to {output}; crawl it with: "
                   f"newscrawl crawl --site-file {output}")
    else:
        click.echo(toml + "\n" + dry_run, nl=False)


def _named_profile(target: str, db: str) -> Site:
    """A profile from a file path, a built-in name or a name stored in ``db``."""
    from crawler.sites import load_site_file, stored_site
    from pipelines.sites_table import profile_names
    from pipelines.store import StoreError

    try:
        if Path(target).exists() or target.endswith(".toml"):
            return load_site_file(target)
        if target in SITES:
            return SITES[target]
        found = stored_site(target, db)
        if found is not None:
            return found
        stored = profile_names(db)
    except SiteError as exc:
        raise click.ClickException(str(exc)) from None
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    raise click.ClickException(
        f"unknown site {target!r}: no site file, built-in or stored profile of that name; built-in: "
        f"{', '.join(sorted(SITES))}; stored in {db}: {', '.join(stored) or 'none'}")


@site_group.command("check")
@click.argument("target", metavar="NAME|FILE")
@db_option
def site_check(target: str, db: str) -> None:
    """Validate a profile (a TOML file, a built-in or a stored name): field types, required
    fields, regexes and XPaths, one message per error; then dry-run it against the live
    section page, its next listing page, its feeds and sitemaps.

    Example:

        newscrawl site check example.toml
    """
    from crawler.infer import check_live

    profile = _named_profile(target, db)
    click.echo(f"Profile {profile.name!r}: fields valid.")
    lines, problems = check_live(profile)
    for line in lines:
        click.echo(line)
    if problems:
        raise click.ClickException("the dry run found problems:\n  " + "\n  ".join(problems))


@site_group.command("show")
@click.argument("name")
@db_option
def site_show(name: str, db: str) -> None:
    """Print a profile stored in the database (or a built-in one) as TOML.

    Example:

        newscrawl site show example --db output/example.db
    """
    from crawler.sites import site_from_dict, site_to_toml
    from pipelines.sites_table import load_profile, profile_names
    from pipelines.store import StoreError

    try:
        row = load_profile(db, name)
        if row is None:
            if name in SITES:
                click.echo(f"# built-in profile\n{site_to_toml(SITES[name])}", nl=False)
                return
            raise click.ClickException(f"no profile {name!r} in {db}; stored: "
                                       f"{', '.join(profile_names(db)) or 'none'}")
        profile = site_from_dict(row["profile"], f"profile {name!r} stored in {db}")
    except (StoreError, SiteError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"# {row['source']}, created {row['created']}, updated {row['updated']}\n"
               f"{site_to_toml(profile)}", nl=False)


RUN_COLUMNS = [
    ("id", "run"), ("site", "site"), ("started", "started"), ("finished", "finished"),
    ("finish_reason", "reason"), ("mode", "mode"), ("listing_pages", "listing"),
    ("articles_fetched", "fetched"), ("new", "new"), ("updated", "updated"),
    ("unchanged", "unchanged"), ("not_modified", "304"), ("withdrawn", "withdrawn"),
    ("duplicates", "dups"), ("skipped", "skipped"), ("errors", "errors"),
    ("verdict", "verdict"),
]


def run_check(row: Any) -> tuple[int, str]:
    """The exit code and one line for ``runs --check``: the verdict of the run ``row``."""
    from crawler.outcome import EXIT_FAILED, judge

    name = f"run {row['id']} ({row['site']}, started {row['started']})"
    keys = row.keys()
    verdict = row["verdict"] if "verdict" in keys else None
    if verdict is None and row["finished"] is None:
        if row["finish_reason"] == "interrupted":
            return EXIT_FAILED, f"failed: {name} was interrupted (killed before it finished)"
        return EXIT_FAILED, (f"failed: {name} has not finished: it is still running (pid "
                             f"{row['pid']}) or was killed")
    if verdict is None:  # recorded before runs had a verdict: judged from its stats now
        stats = {**json.loads(row["stats"] or "{}"), "finish_reason": row["finish_reason"]}
        judged = judge(stats, row["site"], "the database")
        verdict, reason, code = judged.word, judged.reason, judged.exit_code
    else:
        reason, code = row["verdict_reason"], row["exit_code"]
    if verdict == "ok":
        return 0, f"ok: {name}: {reason}"
    return code or EXIT_FAILED, f"failed: {name}: {reason}"


@cli.command()
@db_option
@click.option("-n", "--last", default=10, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="How many runs to show, newest last.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per run, with duplicates and errors by kind.")
@click.option("--check", is_flag=True,
              help="Only the last run's verdict, in one line, as the exit code: 0 ok, else "
                   "the run's own (1, 69, 73, 75), for schedulers and monitoring.")
@click.option("--site", "site_name", metavar="NAME", help="Only the runs of this site.")
def runs(db: str, last: int, as_json: bool, check: bool, site_name: str | None) -> None:
    """Show the last runs recorded in the database: when, why they ended, what they did,
    and the verdict (ok or failed), the same whichever command ran the crawl.

    A run without an end was killed or is still running; the next run marks it
    "interrupted".

    Example:

    \b
        newscrawl runs --db output/articles.db -n 5
        newscrawl runs --db output/articles.db --check || alert "crawl failed"
    """
    import sqlite3

    from tabulate import tabulate

    if not Path(db).is_file():
        raise click.ClickException(f"no database at {db}: give --db, or crawl first")
    where, params = ("where site = ?", [site_name]) if site_name else ("", [])
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        rows = conn.execute(f"select * from (select * from runs {where} order by id desc "
                            "limit ?) order by id", [*params, 1 if check else last]).fetchall()
        conn.close()
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot read runs from {db}: {exc}") from None
    if check:
        if not rows:
            raise click.ClickException(f"no run recorded in {db}"
                                       + (f" for site {site_name}" if site_name else ""))
        code, line = run_check(rows[-1])
        click.echo(line)
        sys.exit(code)
    if as_json:
        for row in rows:
            record = {k: row[k] for k in row.keys() if k != "stats"}
            for key in ("duplicates_by_kind", "skipped_by_kind", "errors_by_kind"):
                record[key] = json.loads(record[key]) if record.get(key) else {}
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    keys = set(rows[0].keys()) if rows else set()
    table = [[row[k] if k in keys else None for k, _ in RUN_COLUMNS] for row in rows]
    click.echo(tabulate(table, headers=[h for _, h in RUN_COLUMNS], missingval="-"))


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
@click.option("--url", "base_url", metavar="URL",
              help="The URL of a saved file without a canonical link.")
@site_options
@click.option("--allow-private", is_flag=True,
              help="Allow URLs on loopback or private addresses (your own network).")
@click.option("--same-site", is_flag=True,
              help="The targets are pages of one site: learn its template from all of them.")
@click.option("--timeout", type=click.FloatRange(min=0.1), metavar="SECONDS",
              help="Give up extracting a page after this long (default: the crawl's "
                   "NEWSCRAWL_EXTRACT_TIMEOUT).")
def extract(targets: tuple[str, ...], as_json: bool, db: str | None, base_url: str | None,
            site: str | None, site_file: str | None, start_url: str | None,
            allow_private: bool, same_site: bool, timeout: float | None) -> None:
    """Extract the article from each TARGET: a URL or a saved HTML file.

    Prints the clean text, or with --json one object per target with target, url, title,
    authors, published, language, language_probability and text.  With --same-site the
    targets are read first and the site's recurring blocks and lines, learned from all of
    them, are removed from every body (as a crawl does).

    Example:

    \b
        newscrawl extract saved-page.html --json
        newscrawl extract --same-site --json site-pages/*.html
    """
    import sqlite3

    from crawler.fetch import FetchError, fetch
    from pipelines.article import Article, NoArticle
    from pipelines.template import stored_template
    from pipelines.worker import ExtractFailed

    def read(target: str) -> tuple[bytes, str | None, str | None]:
        scheme = urlsplit(target).scheme.lower()
        if len(scheme) > 1 and scheme not in ("http", "https"):
            raise FetchError(f"only http and https URLs can be fetched, not {scheme}:")
        limit = int(setting("NEWSCRAWL_MAX_PAGE_BYTES"))
        if scheme in ("http", "https"):
            page = fetch(target, allow_private=allow_private)
            if limit and len(page.body) > limit:
                raise FetchError(f"the page is {len(page.body):,} bytes, more than "
                                 f"NEWSCRAWL_MAX_PAGE_BYTES={limit:,}: not extracted")
            return page.body, page.url, page.encoding
        path = Path(target)
        if not path.is_file():
            raise FetchError(f"no such file: {target}")
        if limit and path.stat().st_size > limit:
            raise FetchError(f"the file is {path.stat().st_size:,} bytes, more than "
                             f"NEWSCRAWL_MAX_PAGE_BYTES={limit:,}: not extracted")
        return path.read_bytes(), base_url, None

    explicit = resolve_site(site, site_file, start_url) if (site or site_file) else None
    deadline = timeout or float(setting("NEWSCRAWL_EXTRACT_TIMEOUT"))
    # The site's learned template comes from the database a crawl writes (--db, else the
    # default one when it exists), so a one-off gives the body the crawl gives.
    template_db = db or (DEFAULT_DB if Path(DEFAULT_DB).is_file() else None)
    inputs: dict[str, tuple[bytes, str | None, str | None] | Exception] = {}
    for target in targets:
        try:
            inputs[target] = read(target)
        except (FetchError, OSError) as exc:
            inputs[target] = exc
    readable = [(t, v) for t, v in inputs.items() if not isinstance(v, Exception)]

    def site_key(profile: Site | None, url: str | None) -> str:
        return profile.name if profile else (urlsplit(url or "").netloc or "unknown")

    profiles = {t: _pick_site(url, raw, explicit) for t, (raw, url, _e) in readable}
    stored: dict[str, Any] = {}

    def template_of(target: str) -> Any:
        key = site_key(profiles[target], inputs[target][1])
        if key not in stored:
            stored[key] = stored_template(template_db, key).rules() if template_db else None
        return stored[key]

    results: dict[str, Article | Exception] = {}
    if same_site and readable:
        from pipelines.extract import extract_many

        first = readable[0][0]
        key = site_key(profiles[first], inputs[first][1])
        with extract_workers(deadline, len(readable)) as workers:
            found, _template = extract_many(
                [(raw, url) for _t, (raw, url, _e) in readable], profiles[first],
                template=stored_template(template_db, key) if template_db else None,
                extract_page=workers.extract_or_skip,
                learn_pages=workers.learn_pages)
        results = dict(zip((t for t, _v in readable), found))
    elif len(readable) == 1:
        # One page: a child forked from this still single-threaded process, killed at the
        # deadline; no pool, no forkserver to start.
        from pipelines.worker import extract_once

        target, (raw, url, encoding) = readable[0]
        try:
            results[target] = extract_once(deadline, raw, url, profiles[target], encoding,
                                           template_of(target))
        except (NoArticle, ExtractFailed) as exc:
            results[target] = exc
    elif readable:
        with extract_workers(deadline, len(readable)) as workers:
            futures = {t: workers.submit_extract(raw, url, profiles[t], encoding, template_of(t))
                       for t, (raw, url, encoding) in readable}
            for target, future in futures.items():
                try:
                    results[target] = workers.result(future)
                except (NoArticle, ExtractFailed) as exc:
                    results[target] = exc

    writer = None
    if db:
        from pipelines.store import Store, StoreError
        from pipelines.writer import Writer

        try:
            writer = Writer(lambda: Store(db, batch_size=0), flush_seconds=0.05)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None
    failures = 0
    saved: dict[str, Any] = {}  # target -> the future of its row, all queued at once
    if writer is not None:
        for target, (raw, url, _encoding) in readable:
            article = results.get(target)
            if isinstance(article, Article) and article.url:
                key = site_key(profiles[target], article.url)
                version = getattr(template_of(target), "version", None)
                saved[target] = writer.submit(
                    lambda store, a=article, k=key, u=url, r=raw, v=version:
                    store.save(a, k, fetched_url=u, raw=r, template_version=v))
    try:
        for target in targets:
            try:
                found = inputs[target]
                if isinstance(found, Exception):
                    raise found
                article = results[target]
                if isinstance(article, Exception):
                    raise article
                if writer is not None:
                    if not article.url:
                        raise FetchError("the page has no canonical link: give --url to store it")
                    saved[target].result()
            except (FetchError, NoArticle, ExtractFailed, OSError, sqlite3.Error,
                    RuntimeError) as exc:  # StoreError, a stopped writer
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
        if writer is not None:
            writer.close()
    if failures:
        sys.exit(1)


def extract_workers(timeout: float | None, pages: int = 2) -> Any:
    """Extraction workers (at most NEWSCRAWL_EXTRACT_WORKERS, no more than there are pages),
    under ``timeout`` or the crawl's deadline setting."""
    from pipelines.worker import ExtractWorkers

    return ExtractWorkers(max(1, min(pages, int(setting("NEWSCRAWL_EXTRACT_WORKERS")))),
                          timeout or float(setting("NEWSCRAWL_EXTRACT_TIMEOUT")),
                          int(setting("NEWSCRAWL_WORKER_MEMORY_MB")))


def open_store(db: str) -> Any:
    """A Store on an existing database, or an error that says how to make one."""
    from pipelines.store import Store, StoreError

    try:
        return Store(existing_db(db))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.argument("site_name", metavar="SITE")
@db_option
@click.option("--json", "as_json", is_flag=True, help="The whole summary as JSON.")
@click.option("--limit", default=30, show_default=True, metavar="N", help="Blocks and lines to show.")
def template(site_name: str, db: str, as_json: bool, limit: int) -> None:
    """Show what the crawl learned of SITE's template: the recurring blocks and lines it
    removes from bodies.

    Example:

    \b
        newscrawl template bjreview
    """
    from pipelines.template import fill_samples

    store = open_store(db)
    try:
        learned = store.load_template(site_name)
        # A crawl learns from fingerprints alone: the texts shown come from stored pages.
        fill_samples(learned, (row["html"] for row in store.stored_pages(site_name)))
    finally:
        store.close()
    if learned.n_pages == 0:
        raise click.ClickException(f"nothing learned for site {site_name!r} in {db} yet")
    summary = learned.summary(limit)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    click.echo(f"Site {site_name}: learned from {summary['pages']} pages and "
               f"{summary['bodies']} bodies; a block or line is boilerplate once it recurs on "
               f"{summary['block_threshold']:g} pages.")
    for label, key in (("Blocks removed", "boilerplate_blocks"),
                       ("Lines removed", "boilerplate_lines"),
                       ("Recurring lines kept as story text", "story_lines")):
        total = summary[f"n_{key}"]
        click.echo(f"\n{label} ({total}):")
        for row in summary[key]:
            click.echo(f"  {row['pages']:>5}  {row['key'][:40]:40s}  {row['text'][:70]}")


@cli.command()
@site_options
@db_option
@click.option("--timeout", type=click.FloatRange(min=0.1), metavar="SECONDS",
              help="Give up re-extracting a page after this long and keep its stored body "
                   "(default: the crawl's NEWSCRAWL_EXTRACT_TIMEOUT).")
def reextract(site: str | None, site_file: str | None, start_url: str | None, db: str,
              timeout: float | None) -> None:
    """Rebuild stored bodies from the stored pages, without re-crawling: after an extractor
    upgrade, a template change or a new site rule.  Reports how many bodies changed.

    Example:

    \b
        newscrawl reextract --site bjreview
    """
    from pipelines.reextract import reextract as rebuild

    store = open_store(db)
    store.batch_size = 0  # re-extraction commits one short transaction per chunk
    try:
        if site or site_file:
            profiles = [resolve_site(site, site_file, start_url)]
        else:
            names = [r["site"] for r in store.rows("select distinct site from articles")]
            unknown = sorted(set(names) - set(SITES))
            if unknown:
                click.echo(f"Skipping sites without a built-in profile: {', '.join(unknown)} "
                           "(give --site-file)", err=True)
            profiles = [SITES[n] for n in names if n in SITES]
        with extract_workers(timeout, 1 << 30) as workers:
            for profile in profiles:
                done = rebuild(store, profile, store.load_template(profile.name).rules(),
                               workers=workers)
                click.echo(f"{profile.name}: {done.checked} pages re-extracted, {done.changed} "
                           f"bodies changed, {done.failed} kept (no body found or too slow)")
    finally:
        store.close()


@cli.command()
@db_option
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), metavar="N",
              help="Port on 127.0.0.1 to serve on.")
def browse(db: str, port: int) -> None:
    """Browse the database in Datasette on 127.0.0.1: read, search, facets, a chart.

    The articles open as a compact list, newest first, with facets on site, language and
    publication month; each title opens a reading view; search ranks the best match first
    with a highlighted snippet (Chinese, Japanese and Korean words too). Safe to run while
    a crawl writes to the same database. Also writes the chart page beside the database as
    DB_STEM.chart.html.

    Example:

    \b
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
@db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True, help="JSON Lines (JSON columns as arrays) or CSV.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Only articles published on or after this day.")
@click.option("--language", metavar="CODE", help="Only articles detected in this language, e.g. en.")
@click.option("--duplicates", is_flag=True,
              help="Also the near copies of stored stories (rows with duplicate_of).")
@click.option("-o", "--output", default="-", show_default=True, type=click.Path(dir_okay=False,
              allow_dash=True), help="File to write; - is standard output.")
def export(db: str, fmt: str, since: Any, language: str | None, duplicates: bool,
           output: str) -> None:
    """Write the stored articles as JSON Lines or CSV, streaming (constant memory), each
    story once: near copies of a story are left out unless --duplicates.

    Example:

    \b
        newscrawl export --format csv --since 2025-06-01 --language en -o articles.csv
    """
    import sqlite3

    from crawler.export import connect_readonly, export as export_articles, open_output

    conn = connect_readonly(existing_db(db))
    try:
        with open_output(output) as out:
            count = export_articles(conn, out, fmt, since.date() if since else None, language,
                                    duplicates)
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
