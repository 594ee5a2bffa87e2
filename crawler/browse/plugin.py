"""Datasette plugin for newscrawl databases: a month facet, readable bodies, the chart page.

Registered by :func:`crawler.browse.make_datasette`, not through an entry point, so it only
runs in the Datasette that ``newscrawl browse`` starts.
"""

from __future__ import annotations

from html import escape
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import Response
from markupsafe import Markup

from crawler.browse.chart import PER_DAY_BY_LANGUAGE, chart_page

CSS_PATH = "/-/newscrawl/newscrawl.css"
CHART_PATH = "/-/newscrawl/chart"
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
    rows = [tuple(r) for r in (await db.execute(PER_DAY_BY_LANGUAGE)).rows]
    return Response.html(chart_page(rows, db.name))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/newscrawl/newscrawl\.css$", _css), (r"^/-/newscrawl/chart$", _chart)]
