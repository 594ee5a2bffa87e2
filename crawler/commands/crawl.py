"""``scrapy crawl``, exiting with the run's verdict instead of 0 whatever happened.

Scrapy's own command exits 1 only when the crawler could not start; a scheduler (cron,
scrapyd) then sees success for a run that fetched nothing.  This one exits with the code
the :class:`crawler.outcome.RunVerdict` extension decided, the same as ``newscrawl crawl``.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.outcome import EXIT_FAILED, RunVerdict


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        verdict = RunVerdict.of(crawler)
        self.exitcode = verdict.exit_code if verdict is not None else EXIT_FAILED
