"""Imported by the extraction workers' forkserver: load and warm the extractor once, so every
worker forked from it starts with trafilatura imported and langdetect's profiles loaded."""

from pipelines.worker import warm_up

warm_up()
