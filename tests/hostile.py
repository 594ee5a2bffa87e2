"""A small hostile HTTP server on 127.0.0.1: each path misbehaves in its own way.

Routes map a path to a behaviour, a function of the request handler.  Behaviours are
built with the helpers below (``html``, ``drip``, ``hang``, ``reset``, ``lying_length``,
``bomb``, ``redirect``, ``status``, ``sequence`` ...).  The server records every hit
(path, monotonic time) in ``server.hits`` so tests can assert what was (not) requested.

    with hostile({"/World/": html(listing([...])), ...}) as (server, base):
        ...
"""

from __future__ import annotations

import datetime
import gzip
import ipaddress
import socket
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import brotli

try:
    from compression import zstd  # Python 3.14+
except ImportError:  # pragma: no cover - depends on the Python version
    from backports import zstd

Behaviour = Callable[[BaseHTTPRequestHandler], None]
HOST = "127.0.0.1"
ARTICLE_DIR = "/World/202506/"


def article_path(n: int) -> str:
    """An article URL path the bjreview profile follows."""
    return f"{ARTICLE_DIR}t20250601_{n}.html"


def article_html(n: int, *, title: str | None = None, body: str | None = None,
                 head: str = "", date: str = "2025-06-01") -> str:
    """A plain, valid article page with enough text to be a story."""
    title = title or f"Story number {n}"
    body = body or "".join(
        f"<p>Paragraph {i} of story {n}: delegates met in the capital to discuss trade, water "
        f"and the harvest, and agreed to meet again before the end of the season.</p>"
        for i in range(4))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<meta name='publishdate' content='{date}'>{head}</head><body>"
            f"<nav><a href='/World/'>World</a> <a href='/China/'>China</a></nav>"
            f"<h1>{title}</h1><article>{body}</article>"
            f"<footer>Copyright 2003-2025 Example Review</footer></body></html>")


def listing(links: list[str]) -> str:
    items = "".join(f"<li><a href='{href}'>link {i}</a></li>" for i, href in enumerate(links))
    return f"<html><head><meta charset='utf-8'><title>World</title></head><body><ul>{items}</ul></body></html>"


# -- behaviours ---------------------------------------------------------------------------
def html(body: str | bytes, status: int = 200, content_type: str | None = "text/html; charset=utf-8",
         headers: dict[str, str] | None = None) -> Behaviour:
    data = body.encode("utf-8") if isinstance(body, str) else body

    def run(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        if content_type:
            h.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
    return run


def status(code: int, headers: dict[str, str] | None = None, body: str = "error") -> Behaviour:
    return html(body, status=code, headers=headers)


def redirect(location: str, code: int = 302) -> Behaviour:
    return html("", status=code, headers={"Location": location})


def meta_refresh(location: str) -> Behaviour:
    """A 200 page whose only content is ``<meta http-equiv=refresh>`` to ``location``."""
    return html(f"<html><head><meta http-equiv='refresh' content='0; url={location}'>"
                f"</head><body></body></html>")


def drip(total: int = 2000, interval: float = 0.3) -> Behaviour:
    """Headers at once, then one byte every ``interval`` seconds."""
    def run(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(total))
        h.end_headers()
        for _ in range(total):
            if h.server.stopping.wait(interval):
                return
            h.wfile.write(b"x")
            h.wfile.flush()
    return run


def hang(h: BaseHTTPRequestHandler) -> None:
    """Accept the request, never answer."""
    h.server.stopping.wait(120)


def reset(h: BaseHTTPRequestHandler) -> None:
    """Close the connection with a TCP RST before answering."""
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def lying_length(claimed: int = 50_000, sent: int = 500) -> Behaviour:
    """Content-Length promises more than is sent before the connection closes."""
    def run(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(claimed))
        h.end_headers()
        h.wfile.write(b"<html><body>" + b"a" * sent)
    return run


@lru_cache(maxsize=None)
def bomb_bytes(encoding: str, size: int) -> bytes:
    """``size`` bytes of HTML-ish zeros, compressed with ``encoding`` (a few KiB to send)."""
    data = b"<html><body><p>" + b"\0" * size
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=9)
    if encoding == "deflate":
        return zlib.compress(data, 9)
    if encoding == "br":
        return brotli.compress(data, quality=5)
    if encoding == "zstd":
        return zstd.compress(data)
    raise ValueError(encoding)


def bomb(encoding: str, size: int = 64 * 1024 * 1024) -> Behaviour:
    return html(bomb_bytes(encoding, size), headers={"Content-Encoding": encoding})


def endless(chunk: int = 65536, declare: int | None = None) -> Behaviour:
    """An HTML body that never ends (or declares ``declare`` bytes up front)."""
    def run(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        if declare:
            h.send_header("Content-Length", str(declare))
        h.end_headers()
        block = b"<p>" + b"a" * (chunk - 3)
        try:
            while not h.server.stopping.is_set():
                h.wfile.write(block)
        except OSError:
            pass
    return run


def sequence(*behaviours: Behaviour) -> Behaviour:
    """The n-th request gets the n-th behaviour; the last one repeats."""
    lock = threading.Lock()
    calls = [0]

    def run(h: BaseHTTPRequestHandler) -> None:
        with lock:
            index = min(calls[0], len(behaviours) - 1)
            calls[0] += 1
        behaviours[index](h)
    return run


def self_signed_tls(folder: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 (no CA
    vouches for it, so a verifying client must refuse it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


# -- the server ---------------------------------------------------------------------------
class HostileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path or "/"
        target = f"{path}?{parts.query}" if parts.query else path
        self.server.hits.append((path, time.monotonic()))
        self.server.targets.append(target)
        behaviour = self.server.routes.get(path)
        if behaviour is None and self.server.fallback is not None:
            behaviour = self.server.fallback(path)
        if behaviour is None:
            behaviour = status(404, body="not found")
        try:
            behaviour(self)
        except OSError:  # the client gave up: that is the point of most routes
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, routes: dict[str, Behaviour],
                 fallback: Callable[[str], Behaviour | None] | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        super().__init__((HOST, 0), HostileHandler)
        self.tls = tls
        self.failed_handshakes = 0
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True,
                                          do_handshake_on_connect=False)
        self.routes = routes
        self.fallback = fallback
        self.hits: list[tuple[str, float]] = []
        self.targets: list[str] = []  # every request's path and query, in order
        self.stopping = threading.Event()

    def server_bind(self) -> None:  # no reverse DNS lookup
        import socketserver
        socketserver.TCPServer.server_bind(self)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # resets and abandoned downloads are expected here

    def finish_request(self, request: socket.socket, client_address: object) -> None:
        if self.tls is not None:
            try:  # in the handler's thread: a client refusing the certificate blocks no one
                request.do_handshake()
            except (OSError, ssl.SSLError):
                self.failed_handshakes += 1
                return
        super().finish_request(request, client_address)

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.server_address[1]}"

    def hit_times(self, path: str) -> list[float]:
        return [t for p, t in self.hits if p == path]


@contextmanager
def hostile(routes: dict[str, Behaviour],
            fallback: Callable[[str], Behaviour | None] | None = None,
            tls: ssl.SSLContext | None = None) -> Iterator[tuple[HostileServer, str]]:
    """Serve ``routes`` on 127.0.0.1 (over TLS with ``tls``, e.g. :func:`self_signed_tls`)."""
    server = HostileServer(routes, fallback, tls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, server.base_url
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
