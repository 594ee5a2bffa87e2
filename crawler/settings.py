"""Scrapy settings for newscrawl: polite defaults for the real web, all overridable with -s."""

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Polite by default: name ourselves, obey robots.txt, adapt to the server's latency.
USER_AGENT = "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl; news archive crawler)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Verify TLS certificates (Scrapy's default is not to); a site profile's
# verify_certificates = false, or -s DOWNLOAD_VERIFY_CERTIFICATES=False, turns it off.
DOWNLOAD_VERIFY_CERTIFICATES = True
# Bounded work per response: news pages are small, so anything huge is a fault.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# Memory: the crawl process never parses a page (workers do, each bounded by
# NEWSCRAWL_WORKER_MEMORY_MB) and peaks at ~100 MB on the fixture site; at 2 GiB it is a
# runaway (queue, stats, a leak): stopped with finish_reason memusage_exceeded (in the runs
# ledger, exit 1) long before the OOM killer picks a process.  With two workers at their
# bound the whole crawl stays under a third of a 2-core, 24 GiB machine.  Warned at 1 GiB.
MEMUSAGE_ENABLED = True
MEMUSAGE_LIMIT_MB = 2048
MEMUSAGE_WARNING_MB = 1024
MEMUSAGE_CHECK_INTERVAL_SECONDS = 30.0
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5
# Back-off before retry n+1: NEWSCRAWL_RETRY_BACKOFF * 2**n seconds, at most MAX_DELAY;
# a Retry-After is honoured up to NEWSCRAWL_RETRY_AFTER_MAX, beyond that it is a failure.
NEWSCRAWL_RETRY_BACKOFF = 2.0
NEWSCRAWL_RETRY_MAX_DELAY = 60.0
NEWSCRAWL_RETRY_AFTER_MAX = 120.0
# Crawler traps: a depth limit and a page budget on top of the site's URL patterns.
DEPTH_LIMIT = 100
CLOSESPIDER_PAGECOUNT = 20000

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.PoliteRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsPolicyMiddleware": 100,
    "crawler.middlewares.RedirectGuardMiddleware": 610,
}

# No control surfaces on an unattended crawler, and no credentials in its logs.
EXTENSIONS = {"crawler.redact.RedactSecrets": 0, "crawler.monitor.ReactorLag": 0,
              "crawler.jobdir.JobdirCheck": 0, "crawler.progress.Progress": 500,
              "crawler.outcome.RunVerdict": 0}
# `scrapy crawl` (and so a scrapyd job) exits with the run's verdict, as `newscrawl crawl` does.
COMMANDS_MODULE = "crawler.commands"
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

ITEM_PIPELINES = {
    "pipelines.item_pipelines.ExtractPipeline": 300,
    "pipelines.item_pipelines.StorePipeline": 800,
}

# newscrawl's own settings (prefix NEWSCRAWL_).
NEWSCRAWL_SITE = "bjreview"
NEWSCRAWL_DB = "output/articles.db"
# The one writer commits a batch when this many rows wait or the oldest waited this long:
# the write lock is held for milliseconds per batch, and a SIGKILL loses at most that time.
NEWSCRAWL_FLUSH_ROWS = 200
NEWSCRAWL_FLUSH_SECONDS = 1.0
# Items waiting for the writer at most (back-pressure on the crawl beyond that).
NEWSCRAWL_WRITER_QUEUE = 500
# Cap the database file (bytes, 0 = no cap): past it writes fail as on a full disk.
NEWSCRAWL_DB_MAX_BYTES = 0
NEWSCRAWL_EXTRACT_ENABLED = True
# Extraction runs in worker processes; a page that takes longer is skipped (worker killed).
NEWSCRAWL_EXTRACT_WORKERS = 2
NEWSCRAWL_EXTRACT_TIMEOUT = 60.0
# Each worker's address space (MiB, 0 = unbounded): a page needing more is skipped
# (newscrawl/skipped/extract_memory), so one page cannot take the machine.
NEWSCRAWL_WORKER_MEMORY_MB = 3072
# A worker is renewed after this many pages (0 = never), so memory a long crawl fragments
# in it stays bounded.
NEWSCRAWL_WORKER_MAX_TASKS = 500
# Pages larger than this are not extracted (newscrawl/skipped/too_large; files given to
# `extract` too): news pages are far smaller, and extraction time and memory grow with size
# (a 9 MiB page took 51 s and 700 MB).  Below DOWNLOAD_MAXSIZE, which bounds the download.
NEWSCRAWL_MAX_PAGE_BYTES = 5 * 1024 * 1024
NEWSCRAWL_STORE_ENABLED = True
# Learn each site's template (recurring blocks and lines) from the stories it stores.
NEWSCRAWL_TEMPLATE_ENABLED = True
# Apply newly learned rules after this many new stories (and re-extract the run at the end).
NEWSCRAWL_TEMPLATE_REFRESH = 10
# The run exits non-zero when more than this share of the pages it tried failed.
NEWSCRAWL_MAX_FAILURE_RATIO = 0.25

LOG_LEVEL = "INFO"
# Dropped and scraped items are logged by URL and reason, never the whole item.
LOG_FORMATTER = "crawler.logformatter.LogFormatter"
# The progress line (crawler/progress.py): `newscrawl crawl` turns it on; without a terminal
# it prints a plain line every NEWSCRAWL_PROGRESS_INTERVAL seconds.
NEWSCRAWL_PROGRESS = False
NEWSCRAWL_PROGRESS_INTERVAL = 60.0
FEED_EXPORT_ENCODING = "utf-8"

# Distributed crawling (crawler/distributed.py; `newscrawl crawl --redis-url`): the worker's
# heartbeat key is refreshed every NEWSCRAWL_REDIS_HEARTBEAT seconds and expires after
# NEWSCRAWL_REDIS_LEASE_SECONDS; past that, any live worker or the ingest puts the requests it
# had in flight back on the frontier (a stalled-but-alive worker costs a second fetch, never
# a lost page).  NEWSCRAWL_REDIS_IDLE_EXIT > 0: exit once nothing was waiting or in flight
# anywhere for that long (`--idle-exit`).
NEWSCRAWL_REDIS_URL = ""
NEWSCRAWL_REDIS_SITE = ""
NEWSCRAWL_REDIS_HEARTBEAT = 1.0
NEWSCRAWL_REDIS_LEASE_SECONDS = 15.0
NEWSCRAWL_REDIS_IDLE_EXIT = 0.0
# `newscrawl ingest` closes a site's run (its `runs` row) once its frontier, the workers'
# flight and the item queue have been empty this long (`--until-idle` sets it and exits).
NEWSCRAWL_INGEST_RUN_IDLE = 60.0
