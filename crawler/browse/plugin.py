"""Datasette plugin for newscrawl databases: pages made for reading and finding articles.

A reading view per article, a compact newest-first list (``templates/_table.html``), ranked
search with snippets (``crawler.browse.search``), the column dictionary on its own page, a
month facet, the chart; withdrawn stories are left out of the list unless asked for.

Registered by :func:`crawler.browse.make_datasette`, not through an entry point, so it only
runs in the Datasette that ``newscrawl browse`` starts.
"""

from __future__ import annotations

from html import escape
from typing import Any

from urllib.parse import urlencode

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from crawler.browse import reading
from crawler.browse.chart import PER_DAY_BY_LANGUAGE, chart_page
from crawler.browse.search import Query, search_sql, snippet_for, marked
from crawler.browse.stories import for_columns

CSS_PATH = "/-/newscrawl/newscrawl.css"
CHART_PATH = "/-/newscrawl/chart"
ARTICLE_PATH = "/-/newscrawl/article/{id}"
SEARCH_PATH = "/-/newscrawl/search"
COLUMNS_PATH = "/-/newscrawl/columns"
# ?_nc_withdrawn=1 shows withdrawn stories in the articles list; ?_nc_view=table all columns.
SHOW_WITHDRAWN = "_nc_withdrawn"
SHOW_DUPLICATES = "_nc_duplicates"
# Rows the articles list leaves out unless asked: (column that is set, argument, words).
HIDDEN_ROWS = (("withdrawn_at", SHOW_WITHDRAWN, "not withdrawn"),
               ("duplicate_of", SHOW_DUPLICATES, "not a near copy of another story"))
TABLE_VIEW = "_nc_view"
# In the table the body is a short scrollable box; on the row page it reads as paragraphs.
# Column descriptions go in two compact columns, so the rows are not pushed off the screen.
CSS = """
dl.column-descriptions { display: grid; grid-template-columns: max-content 1fr;
  gap: 0.1em 1em; font-size: 0.85em; }
dl.column-descriptions dt, dl.column-descriptions dd { margin: 0; }
td.col-title { min-width: 14em; }
td.col-text .nc-body { max-height: 7.5em; min-width: 28em; overflow-y: auto; }
.nc-body p { margin: 0 0 0.6em 0; white-space: normal; line-height: 1.45; }
body.row td.col-text .nc-body { max-height: none; max-width: 42em; }
/* The compact list, the reading view and search results. */
.nc-list { list-style: none; padding: 0; max-width: 52em; }
.nc-list li { padding: 0.55em 0; border-bottom: 1px solid #e4e4e4; }
.nc-list .nc-title { font-size: 1.08em; font-weight: 600; text-decoration: none; }
.nc-list .nc-title:hover { text-decoration: underline; }
.nc-meta { color: #555; font-size: 0.88em; margin-top: 0.15em; }
.nc-meta span + span::before { content: " · "; color: #999; }
.nc-snippet { margin: 0.3em 0 0 0; line-height: 1.45; }
mark { background: #fff0a0; padding: 0 0.1em; }
.nc-toolbar { margin: 0.6em 0; font-size: 0.92em; }
.nc-toolbar a { margin-right: 1.2em; }
.nc-search input[type=search] { width: 22em; font-size: 1em; padding: 0.25em; }
.table-articles .search-row { display: none; }
/* The compact list is for reading: Datasette's query builder stays in "Show all columns". */
body.table-articles:has(ul.nc-list) form.filters,
body.table-articles:has(ul.nc-list) .suggested-facets,
body.table-articles:has(ul.nc-list) p:has(> a.not-underlined) { display: none; }
.nc-toolbar .nc-clear { font-weight: 600; }
article.nc-article { max-width: 42em; margin: 0 auto 2em auto; }
article.nc-article h1 { font-size: 1.9em; line-height: 1.2; margin-bottom: 0.3em; }
article.nc-article .nc-standfirst { font-size: 1.12em; color: #333; }
article.nc-article .nc-body p { font-size: 1.08em; line-height: 1.6; margin: 0 0 0.9em 0;
  font-family: Georgia, "Noto Serif", "Noto Serif CJK SC", serif; }
.nc-captions { color: #444; font-size: 0.92em; border-left: 3px solid #ddd; padding-left: 0.8em; }
.nc-facets { display: flex; gap: 2.5em; font-size: 0.92em; }
.nc-facets ul { list-style: none; padding: 0; margin: 0.2em 0; }
dl.nc-dictionary { display: grid; grid-template-columns: max-content 1fr; gap: 0.25em 1.2em;
  max-width: 60em; }
dl.nc-dictionary dt { font-family: monospace; }
dl.nc-dictionary dd { margin: 0; }
"""


class MonthFacet(Facet):
    """Counts per ``YYYY-MM`` of an ISO date column; a value filters with ``__startswith``.

    Datasette's own date facet counts days, which is too fine to see a crawl's shape.
    """

    type = "month"

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            sql = (f"select substr({col}, 1, 7) as value, count(*) as count from ({self.sql}) "
                   f"where {col} glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]*' "
                   f"group by value order by value desc limit {size + 1}")
            try:
                rows = await self.ds.execute(self.database, sql, self.params, truncate=False,
                                             custom_time_limit=self.ds.setting("facet_time_limit_ms"))
            except QueryInterrupted:
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            values = []
            for row in rows.rows[:size]:
                selected = args.get(key) == row["value"]
                toggle = (path_with_removed_args(self.request, {key: row["value"]}) if selected
                          else path_with_added_args(self.request, {key: row["value"]}))
                values.append({"value": row["value"], "label": row["value"],
                               "count": row["count"], "selected": selected,
                               "toggle_url": self.ds.absolute_url(self.request, toggle)})
            results.append({"name": column, "type": self.type, "results": values,
                            "hideable": source != "metadata", "truncated": len(rows) > size,
                            "toggle_url": path_with_removed_args(self.request,
                                                                 {"_facet_month": column})})
        return results, timed_out


def body_html(text: str) -> Markup:
    """An article body as paragraphs (one per stored line), escaped."""
    paras = "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())
    return Markup(f'<div class="nc-body">{paras}</div>')


@hookimpl
def register_facet_classes() -> list[type[Facet]]:
    return [MonthFacet]


@hookimpl
def render_cell(value: Any, column: str, table: str | None) -> Markup | None:
    if table == "articles" and column == "text" and isinstance(value, str):
        return body_html(value)
    return None


@hookimpl
def extra_css_urls() -> list[str]:
    return [CSS_PATH]


async def _css() -> Response:
    return Response(CSS, content_type="text/css; charset=utf-8")


async def _chart(datasette: Any) -> Response:
    db = datasette.get_database()
    _tables, columns = await _schema(db)
    rows = [tuple(r) for r in (await db.execute(for_columns(PER_DAY_BY_LANGUAGE, columns))).rows]
    table = datasette.urls.table(db.name, "articles")

    def link(day: str, language: str) -> str:
        args = {"published__startswith": day}
        args["language" if language != "undetected" else "language__isnull"] = (
            language if language != "undetected" else "1")
        return f"{table}?{urlencode(args)}"

    nav = {"Articles": table, "Search": SEARCH_PATH, "Columns explained": COLUMNS_PATH}
    return Response.html(chart_page(rows, db.name, link=link, nav=nav))


async def _schema(db: Any) -> tuple[set[str], set[str]]:
    """The database's tables and the articles table's columns (older files lack some)."""
    tables = set(await db.table_names())
    columns = set(await db.table_columns("articles")) if "articles" in tables else set()
    return tables, columns


async def _site_zone(db: Any, tables: set[str], site: str | None) -> str | None:
    """The time zone of the article's site: its stored profile's, else the built-in one's."""
    import json

    from crawler.sites import SITES

    if site and "sites" in tables:
        rows = (await db.execute("select profile from sites where name = ?", [site])).rows
        try:
            zone = json.loads(rows[0]["profile"]).get("timezone") if rows else None
        except (ValueError, AttributeError):
            zone = None
        if zone:
            return str(zone)
    return SITES[site].timezone if site in SITES else None


async def _article(datasette: Any, request: Any) -> Response:
    """The reading view of one article: headline, byline, date, body, captions, links."""
    db = datasette.get_database()
    try:
        article_id = int(request.url_vars["id"])
    except ValueError:
        raise NotFound("No such article") from None
    tables, columns = await _schema(db)
    found = (await db.execute("select * from articles where id = ?", [article_id])).rows
    if not found:
        raise NotFound(f"No article {article_id}")
    row = dict(found[0])
    aliases = ([dict(r) for r in (await db.execute(
        "select url, kind, first_seen from aliases where article_id = ? order by kind, url",
        [article_id])).rows] if "aliases" in tables else [])
    copy_of = None
    if "duplicate_of" in columns:  # near copies kept in rows of their own
        aliases += [{**dict(r), "kind": "near", "href": ARTICLE_PATH.format(id=r["id"])}
                    for r in (await db.execute(
                        "select id, url, first_seen from articles where duplicate_of = ? "
                        "order by id", [article_id])).rows]
        if row.get("duplicate_of"):
            story = (await db.execute("select id, title from articles where id = ?",
                                      [row["duplicate_of"]])).rows
            copy_of = ({"title": story[0]["title"],
                        "href": ARTICLE_PATH.format(id=story[0]["id"])} if story else None)
    versions = ([dict(r) for r in (await db.execute(
        "select id, title, changed_at, replaced_at from versions where article_id = ? "
        "order by replaced_at desc", [article_id])).rows] if "versions" in tables else [])
    zone = await _site_zone(db, tables, row.get("site"))
    context = {
        "row": row, "byline": reading.byline(row.get("authors")),
        "published": reading.format_date(row.get("published"), zone),
        "modified": reading.format_date(row.get("modified"), zone),
        "paragraphs": reading.paragraphs(row.get("text")),
        "standfirst": reading.standfirst(row.get("description"),
                                         reading.paragraphs(row.get("text"))),
        "captions": reading.json_list(row.get("captions")),
        "variants": [a for a in aliases if a["kind"] == "url"],
        "duplicates": [a for a in aliases if a["kind"] != "url"],
        "versions": versions, "database": db.name, "copy_of": copy_of,
        "list_url": datasette.urls.table(db.name, "articles"),
        "row_url": datasette.urls.row(db.name, "articles", str(article_id)),
        "versions_url": datasette.urls.table(db.name, "versions"),
        "search_url": SEARCH_PATH,
    }
    return Response.html(await datasette.render_template(
        "newscrawl_article.html", context, request=request))


async def _search(datasette: Any, request: Any) -> Response:
    """Ranked search: best match first, a highlighted snippet, site and language facets."""
    db = datasette.get_database()
    args = request.args
    try:
        offset = max(0, int(args.get("offset") or 0))
    except ValueError:
        offset = 0
    query = Query((args.get("q") or "").strip(), site=args.get("site") or None,
                  language=args.get("language") or None, offset=offset)
    results, facets, error = [], {}, None
    if query.terms:
        tables, columns = await _schema(db)
        sql, body, params = search_sql(query, tables, columns)
        try:
            rows = (await db.execute(sql, params)).rows
            for name in ("language", "site"):
                counted = await db.execute(
                    f"select a.{name} as value, count(*) as n {body} group by 1 order by 2 desc",
                    params)
                facets[name] = [dict(r) for r in counted.rows]
        except Exception as exc:  # an FTS syntax error or a timeout: say so on the page
            error = str(exc)
            rows = []
        for r in rows:
            record = dict(r)
            results.append({**record, "title_html": marked(record["title_marked"]),
                            "snippet_html": snippet_for(record, query),
                            "date": reading.format_date(record["published"]),
                            "length": reading.length_label(record["chars"]),
                            "href": ARTICLE_PATH.format(id=record["id"])})

    def toggle(name: str, value: Any) -> str:
        current = {k: args.get(k) for k in ("q", "site", "language") if args.get(k)}
        if current.get(name) == value:
            current.pop(name)
        elif value is not None:
            current[name] = value
        return f"{SEARCH_PATH}?{urlencode(current)}"

    total = sum(f["n"] for f in facets.get("site", []))
    more = (f"{SEARCH_PATH}?" + urlencode({**{k: args.get(k) for k in ("q", "site", "language")
                                              if args.get(k)}, "offset": offset + query.limit})
            if offset + query.limit < total else None)
    context = {"query": query, "results": results, "facets": facets, "total": total,
               "error": error, "toggle": toggle, "more_url": more, "database": db.name,
               "list_url": datasette.urls.table(db.name, "articles"),
               "mode_words": {"porter": "ranked by relevance (FTS5 rank, porter stemming)",
                              "trigram": "ranked by relevance (FTS5 rank, trigram index for "
                                         "Chinese, Japanese, Korean)",
                              "substring": "ranked by how often the words occur (words of "
                                           "one or two CJK characters are matched as text)",
                              }[query.mode]}
    return Response.html(await datasette.render_template(
        "newscrawl_search.html", context, request=request))


async def _columns(datasette: Any, request: Any) -> Response:
    """Every table's columns and what they mean: the dictionary, off the article list."""
    from crawler.browse import load_metadata

    db = datasette.get_database()
    tables = set(await db.table_names())
    described = load_metadata()["database"]["tables"]
    context = {"tables": [(name, meta, datasette.urls.table(db.name, name))
                          for name, meta in described.items()
                          if name in tables and not meta.get("hidden")],
               "database": db.name}
    return Response.html(await datasette.render_template(
        "newscrawl_columns.html", context, request=request))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/newscrawl/newscrawl\.css$", _css), (r"^/-/newscrawl/chart$", _chart),
            (r"^/-/newscrawl/article/(?P<id>[0-9]+)$", _article),
            (r"^/-/newscrawl/search$", _search), (r"^/-/newscrawl/columns$", _columns)]


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """Withdrawn stories (a revisit found them gone) stay out of the articles list unless
    ``?_nc_withdrawn=1``, and near copies of a story (``duplicate_of``) unless
    ``?_nc_duplicates=1``; their rows and text are kept."""
    if table != "articles":
        return None
    wanted = [(column, words) for column, arg, words in HIDDEN_ROWS
              if not request.args.get(arg)]
    if not wanted:
        return None

    async def inner() -> FilterArguments | None:
        columns = await datasette.get_database(database).table_columns("articles")
        hidden = [(column, words) for column, words in wanted if column in columns]
        if not hidden:
            return None
        return FilterArguments([f"{column} is null" for column, _ in hidden],
                               human_descriptions=[words for _, words in hidden])
    return inner


@hookimpl
def extra_template_vars(template: str, database: str, table: str, view_name: str,
                        request: Any, datasette: Any) -> dict[str, Any]:
    """For the compact list (templates/_table.html): what it links to and formats with."""
    if table != "articles" or view_name != "table" or request is None:
        return {}
    args = request.args
    return {
        "nc_list": True,
        "nc_compact": not args.get(TABLE_VIEW),
        "nc_all_columns_url": path_with_added_args(request, {TABLE_VIEW: "table"}),
        "nc_compact_url": path_with_removed_args(request, {TABLE_VIEW: "table"}),
        "nc_withdrawn_shown": bool(args.get(SHOW_WITHDRAWN)),
        "nc_filtered": any(not k.startswith("_") for k in args.keys()),
        "nc_clear_url": datasette.urls.table(database, table),
        "nc_withdrawn_url": (path_with_removed_args(request, {SHOW_WITHDRAWN: "1"})
                             if args.get(SHOW_WITHDRAWN)
                             else path_with_added_args(request, {SHOW_WITHDRAWN: "1"})),
        "nc_duplicates_shown": bool(args.get(SHOW_DUPLICATES)),
        "nc_duplicates_url": (path_with_removed_args(request, {SHOW_DUPLICATES: "1"})
                              if args.get(SHOW_DUPLICATES)
                              else path_with_added_args(request, {SHOW_DUPLICATES: "1"})),
        "nc_article_url": lambda pk: ARTICLE_PATH.format(id=pk),
        "nc_date": reading.format_date, "nc_length": reading.length_label,
        "nc_byline": reading.byline,
        "nc_search_url": SEARCH_PATH, "nc_columns_url": COLUMNS_PATH,
        "nc_chart_url": CHART_PATH,
    }
