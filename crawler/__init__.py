"""newscrawl: crawl a news site's World section into a clean, de-duplicated SQLite database."""

__version__ = "0.1.0"
