"""Browsing a newscrawl database with Datasette: metadata, the plugin, and the server.

Datasette is an optional dependency (``pip install 'newscrawl[browse]'``), imported only when
a function here needs it, so the crawler runs without it.
"""

from __future__ import annotations

import copy
import re
import sqlite3
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from crawler.browse.chart import chart_html
from crawler.browse.stories import for_columns

__all__ = ["build_metadata", "load_metadata", "make_datasette", "write_chart"]

TABLE_REFERENCE = re.compile(r"\b(?:from|join)\s+(\w+)", re.I)


def load_metadata() -> dict[str, Any]:
    """The packaged ``metadata.yaml`` as a dict (with its ``database`` template)."""
    text = resources.files("crawler.browse").joinpath("metadata.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def database_name(path: str | Path) -> str:
    """The name Datasette gives a database file: its stem."""
    return Path(path).stem


def _tables_and_sites(path: Path) -> tuple[set[str], list[str], set[str]]:
    """The file's tables and views, the sites its articles come from, and the articles
    table's columns."""
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type in "
                                             "('table', 'view')")}
        sites = ([r[0] for r in conn.execute("select distinct site from articles order by 1")]
                 if "articles" in tables else [])
        columns = {r[1] for r in conn.execute("pragma table_info(articles)")}
    finally:
        conn.close()
    return tables, sites, columns


def build_metadata(path: str | Path) -> dict[str, Any]:
    """Datasette metadata for the database at ``path``.

    The template is placed under the database's name (Datasette keys metadata by name);
    canned queries over tables or columns this file lacks (an older schema, no run ledger)
    are dropped rather than shown broken; the source names the sites the file actually holds.
    """
    from crawler.sites import SITES

    path = Path(path)
    meta = copy.deepcopy(load_metadata())
    database = meta.pop("database")
    tables, sites, columns = _tables_and_sites(path)
    database["tables"] = {t: v for t, v in database["tables"].items() if t in tables}
    for table in database["tables"].values():
        # The column dictionary has its own page (/-/newscrawl/columns): a table page opens
        # on its rows, not on a list of column descriptions.
        table.pop("columns", None)
    queries = {}
    for name, q in database["queries"].items():
        sql = for_columns(q["sql"], columns)
        if sql is not None and set(TABLE_REFERENCE.findall(sql)) <= tables:
            queries[name] = {**q, "sql": sql}
    database["queries"] = queries
    known = [SITES[s] for s in sites if s in SITES]
    if sites and len(known) == len(sites) == 1:
        meta["source_url"] = known[0].start_urls[0]
    elif sites:
        meta["source"] = "Sites: " + ", ".join(sites)
        meta.pop("source_url", None)
    meta["databases"] = {database_name(path): database}
    return meta


def write_chart(path: str | Path) -> Path:
    """Write the chart page beside the database as ``<stem>.chart.html``; return its path."""
    path = Path(path)
    out = path.with_name(f"{path.stem}.chart.html")
    out.write_text(chart_html(path), encoding="utf-8")
    return out


def make_datasette(path: str | Path, **kwargs: Any) -> Any:
    """A Datasette for one newscrawl database, with our metadata and plugin.

    The file is opened mutable (not ``immutable``): a crawl may be writing to it, and WAL
    lets Datasette's read-only connections read while it does.
    """
    from datasette.app import Datasette
    from datasette.plugins import pm

    from crawler.browse import plugin

    if pm.get_plugin("newscrawl") is None:
        pm.register(plugin, name="newscrawl")
    kwargs.setdefault("template_dir", str(resources.files("crawler.browse") / "templates"))
    return Datasette([str(path)], metadata=build_metadata(path), **kwargs)
