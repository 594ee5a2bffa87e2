"""newscrawl's processing library: bytes in, a clean, de-duplicated row out.

Pure modules (no Scrapy, no ``crawler``, no side effects on import): ``decode`` (bytes to
text), ``html`` (text to tree, links), ``metadata``, ``dates``, ``body`` (the body rules),
``template`` (a site's learned boilerplate), ``extract`` (the chooser over those steps, and
``process_page``, a worker's whole per-page job), ``language``, ``dedup`` (URL keys,
fingerprints), ``store`` (the SQL), ``writer`` (the one writer thread), ``worker`` (the
extraction pool) and ``reextract``.  The Scrapy item pipelines over them are in
:mod:`pipelines.item_pipelines`.
"""
