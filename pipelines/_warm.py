"""Imported by the extraction workers' forkserver: load and warm the extractor once, so every
worker forked from it starts with trafilatura imported and langdetect's profiles loaded."""

import gc

from pipelines.worker import warm_up

warm_up()
# What the forkserver holds now (modules, models, caches) lives as long as every worker: out
# of the collector's sight, a worker's full collections walk only what its pages created,
# and forked workers do not touch (and so copy) those pages of memory to mark them.
gc.collect()
gc.freeze()
