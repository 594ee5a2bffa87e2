"""A small real HTTP server for a static directory, bound to 127.0.0.1 only.

Crawler tests need real sockets (Scrapy's downloader, robots.txt middleware, redirects),
so this serves the fixture site over HTTP with explicit charsets, plain 404s instead of
directory listings, and no access log on stderr.

Library use::

    with serving(site_dir) as base_url:
        ...  # fetch f"{base_url}/World/"

Command line: ``python -m tests.server DIR [--port N] [--build]`` prints the base URL and
serves until interrupted; ``--build`` first writes the fixture site into DIR.
"""

from __future__ import annotations

import argparse
import os
import socketserver
import sys
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, Sequence

__all__ = ["FixtureHTTPServer", "FixtureRequestHandler", "PagesServer", "serve", "serving",
           "serving_pages", "stop"]

HOST = "127.0.0.1"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".jpg": "image/jpeg",
    ".png": "image/png",
}


class FixtureRequestHandler(SimpleHTTPRequestHandler):
    """Static files with fixed content types; directories without an index are 404."""

    server_version = "FixtureHTTP/1.0"
    protocol_version = "HTTP/1.0"  # one request per connection: simplest for shutdown

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        suffix = Path(path).suffix.lower()
        return CONTENT_TYPES.get(suffix) or super().guess_type(path)

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        # A listing would add pages the fixture never declared; a site returns 404 here.
        self.send_error(404, "Not Found")
        return None

    def log_message(self, format: str, *args: object) -> None:
        pass


class FixtureHTTPServer(ThreadingHTTPServer):
    """Threaded server that skips the reverse DNS lookup ``HTTPServer`` does on bind."""

    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.server_port}"


def serve(directory: str | os.PathLike[str], port: int = 0) -> tuple[FixtureHTTPServer, str]:
    """Serve ``directory`` on 127.0.0.1 from a daemon thread; return the server and base URL.

    ``port=0`` picks a free port. Call ``stop(server)`` when done.
    """
    root = Path(directory)
    if not root.is_dir():
        raise NotADirectoryError(f"cannot serve {root}: not a directory")
    handler = partial(FixtureRequestHandler, directory=str(root))
    server = FixtureHTTPServer((HOST, port), handler)
    thread = threading.Thread(
        target=server.serve_forever, name=f"fixture-http-{server.server_port}", daemon=True
    )
    thread.start()
    return server, server.base_url


def stop(server: FixtureHTTPServer) -> None:
    """Stop serving and release the socket."""
    server.shutdown()
    server.server_close()


@contextmanager
def serving(directory: str | os.PathLike[str], port: int = 0) -> Iterator[str]:
    """Context manager around ``serve``: yields the base URL, stops the server on exit."""
    server, base_url = serve(directory, port)
    try:
        yield base_url
    finally:
        stop(server)


class PagesHandler(SimpleHTTPRequestHandler):
    """Pages from a dict keyed by path *and* query, for sites whose URLs carry ``?page=N``
    or ``?id=123`` (a static directory cannot serve those)."""

    server_version = "FixtureHTTP/1.0"
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        from urllib.parse import parse_qsl, urlencode, urlsplit

        parts = urlsplit(self.path)
        params = sorted(parse_qsl(parts.query, keep_blank_values=True))
        query = urlencode(params)
        self.server.hits.append(parts.path + (f"?{query}" if query else ""))  # type: ignore[attr-defined]
        pages = self.server.pages  # type: ignore[attr-defined]
        # Like a CMS, the site ignores the click trackers a link carries (utm_*); a path is
        # served as it is linked (/node/12, not /node/12/).
        query = urlencode([(k, v) for k, v in params if not k.startswith("utm_")])
        key = parts.path + (f"?{query}" if query else "")
        found = pages.get(key) or (
            pages.get(parts.path + "index.html") if parts.path.endswith("/") and not query else None)
        if found is None:
            self.send_error(404, "Not Found")
            return
        body, content_type = found
        if content_type == "redirect":  # the body is the Location
            self.send_response(301)
            self.send_header("Location", body.decode())
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class PagesServer(FixtureHTTPServer):
    """A FixtureHTTPServer over ``{"/path?sorted=query": (bytes, content type)}`` (content
    type ``"redirect"``: a 301 to the URL in the bytes); ``hits``
    lists the requested keys in order, so a test can count requests."""

    def __init__(self, pages: dict[str, tuple[bytes, str]]) -> None:
        super().__init__((HOST, 0), PagesHandler)
        self.pages = pages
        self.hits: list[str] = []


@contextmanager
def serving_pages(pages: dict[str, tuple[bytes, str]]) -> Iterator[PagesServer]:
    """Serve ``pages`` on 127.0.0.1 from a daemon thread; yields the server (``base_url``)."""
    server = PagesServer(pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        stop(server)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a directory until interrupted, printing the base URL first."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.server", description="Serve a directory on 127.0.0.1."
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free)")
    parser.add_argument(
        "--build", action="store_true", help="write the fixture site into DIRECTORY first"
    )
    args = parser.parse_args(argv)
    if args.build:
        from tests.fixture_site import build_site

        build_site(args.directory)
    try:
        server, base_url = serve(args.directory, args.port)
    except (NotADirectoryError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
