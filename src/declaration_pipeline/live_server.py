"""`doit serve`: the last verified outputs on 127.0.0.1, live reload by server-sent events, rebuilds on save.

Built on the standard library's http.server. One editor's browser on the
loopback needs no framework, and server-sent events are a plain streamed
response that every browser reconnects by itself; so there is no new
dependency to pin or follow (starlette with uvicorn would bring five, and
livereload serves a directory, which is what this server must not do).

The server opens no file: it answers a fixed set of paths from the outputs
held in memory (live_build.Preview), so there is nothing to traverse, list or
leak; every other path is a 404.
"""

from __future__ import annotations

import errno
import json
import re
import signal
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from .diagnostics import PipelineError
from .live_build import WEB_EDITION, LiveBuild, Preview, PreviewState
from .page_images import page_png
from .watch import source_changes, wait_for_quiet

HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# Shorter than `doit watch`'s: one save's events come within milliseconds, and
# every tenth of a second counts against "save to page in 0.5 s".
SETTLE_SECONDS = 0.02
KEEPALIVE_SECONDS = 15.0
LIVE_SCRIPT = "/_serve/live.js"
EVENTS = "/_serve/events"
TEMPLATES = resources.files(__package__) / "templates"

# path -> (format, content type, disposition); the page routes and the two scripts are handled apart.
DOWNLOADS = {
    "/declaration.pdf": ("pdf", "application/pdf", "inline"),
    "/declaration.docx": (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "attachment",
    ),
}
WEB_PAGES = ("/", "/declaration.html")
PAGE_PICTURE = re.compile(r"/pages/([1-9][0-9]{0,5})\.png")
PRINT_PAGE = "/print"


def _template(name: str) -> bytes:
    return (TEMPLATES / name).read_bytes()


def web_page(preview: Preview) -> bytes:
    """The verified web edition; a placeholder before the first good build."""
    return live_page(preview.outputs.get(WEB_EDITION) or _template("serve-waiting.html"), preview)


def live_page(html: bytes, preview: Preview) -> bytes:
    """`html` with the live-reload script, which learns here which builds the page shows."""
    versions = json.dumps(dict(preview.versions), separators=(",", ":"))
    script = f"<script src=\"{LIVE_SCRIPT}\" data-versions='{versions}'></script>\n".encode()
    head, found, tail = html.rpartition(b"</body>")
    return head + script + found + tail if found else html + script


def event_data(preview: Preview) -> str:
    """The state a page needs: which build each output comes from, and what is wrong with the latest save."""
    return json.dumps(
        {
            "versions": dict(preview.versions),
            "failed": preview.failed,
            "diagnostics": [
                {
                    "location": f"{d.path}:{d.line}:{d.col}",
                    "severity": d.severity,
                    "message": d.message,
                    "code": d.code,
                }
                for d in preview.diagnostics
            ],
            "failures": list(preview.failures),
            "pages": preview.pages,
        },
        ensure_ascii=False,
    )


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True  # a browser holding the event stream open must not keep Ctrl-C waiting

    def __init__(self, port: int, state: PreviewState) -> None:
        self.state = state
        # (PDF version, page) -> PNG, for the current PDF only
        self._pictures: dict[tuple[int, int], bytes] = {}
        self._pictures_lock = threading.Lock()
        super().__init__((HOST, port), PreviewRequest)

    def page_picture(self, page: int) -> bytes | None:
        """Page `page` of the current PDF as a PNG, rendered once per PDF; None if it has no such page."""
        preview = self.state.current()
        if not 1 <= page <= preview.pages:
            return None
        key = (preview.versions["pdf"], page)
        with self._pictures_lock:
            if key not in self._pictures:
                if any(version != key[0] for version, _ in self._pictures):
                    self._pictures.clear()  # a newer PDF: the old pictures are no use
                self._pictures[key] = page_png(preview.outputs["pdf"], page)
            return self._pictures[key]

    @property
    def port(self) -> int:
        return self.server_address[1]


class PreviewRequest(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "declaration-serve"

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        self.do_GET(send_body=False)

    def do_GET(self, send_body: bool = True) -> None:  # noqa: N802
        # The raw path, never unquoted: "/%2e%2e/declaration.md" is simply not one of the routes.
        path = urlsplit(self.path).path
        if not self._host_is_local():
            self._send(HTTPStatus.FORBIDDEN, b"forbidden\n", "text/plain; charset=utf-8", send_body)
        elif path == EVENTS:
            self._stream_events()
        elif path in WEB_PAGES:
            self._send(HTTPStatus.OK, web_page(self.server.state.current()), "text/html; charset=utf-8", send_body)
        elif path == PRINT_PAGE:
            page = live_page(_template("serve-print.html"), self.server.state.current())
            self._send(HTTPStatus.OK, page, "text/html; charset=utf-8", send_body)
        elif path == LIVE_SCRIPT:
            self._send(HTTPStatus.OK, _template("serve-live.js"), "text/javascript; charset=utf-8", send_body)
        elif (picture := self._page_picture(path)) is not None:
            self._send(HTTPStatus.OK, picture, "image/png", send_body)
        elif path in DOWNLOADS and DOWNLOADS[path][0] in self.server.state.current().outputs:
            output_format, content_type, disposition = DOWNLOADS[path]
            preview = self.server.state.current()
            self._send(
                HTTPStatus.OK,
                preview.outputs[output_format],
                content_type,
                send_body,
                {
                    "Content-Disposition": f'{disposition}; filename="{path[1:]}"',
                    "ETag": f'"{preview.versions[output_format]}"',
                },
            )
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", send_body)

    def _page_picture(self, path: str) -> bytes | None:
        """The picture for "/pages/N.png" when the current PDF has a page N."""
        match = PAGE_PICTURE.fullmatch(path)
        return self.server.page_picture(int(match.group(1))) if match else None

    def _host_is_local(self) -> bool:
        """Refuse requests for another host name: a web page cannot reach this server by DNS rebinding."""
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        return host in (HOST, "localhost")

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        send_body: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # Always ask again: the same URL holds the next build (a PDF viewer keeps its place).
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _stream_events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = -1
        try:
            self.wfile.write(b"retry: 500\n\n")
            while True:
                preview = self.server.state.wait_for_change(seen, KEEPALIVE_SECONDS)
                if preview is None:
                    return  # the server is stopping
                if preview.serial == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    seen = preview.serial
                    self.wfile.write(f"event: state\ndata: {event_data(preview)}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the page was closed or reloaded

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's signature)
        pass  # the terminal is for build results, not one line per request


class PortInUse(PipelineError):
    pass


def start_server(state: PreviewState, port: int) -> PreviewServer:
    """Bind 127.0.0.1:port (0: any free port) and serve in a background thread."""
    try:
        server = PreviewServer(port, state)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"{HOST}:{port} is already in use: stop the program using it, or choose another port with --port N"
            ) from exc
        raise PipelineError(f"cannot serve on {HOST}:{port}: {exc.strerror}") from exc
    threading.Thread(target=server.serve_forever, name="preview-server", daemon=True).start()
    return server


def serve(root: Path, port: int, *, strict: bool = False) -> None:
    """Serve the preview and rebuild on every save until Ctrl-C."""
    state = PreviewState()
    server = start_server(state, port)
    builder = LiveBuild(root, state, strict=strict, announce=lambda line: print(line, flush=True))
    stop_on_terminate = threading.current_thread() is threading.main_thread()
    if stop_on_terminate:  # `kill` stops it as cleanly as Ctrl-C: the scratch folder goes too
        previous_handler = signal.signal(signal.SIGTERM, _interrupt)
    url = f"http://{HOST}:{server.port}"
    print(f"[serve] {url}/ shows the web edition, {url}{PRINT_PAGE} the PDF and the DOCX; Ctrl-C stops", flush=True)
    try:
        with source_changes(root) as changed:
            builder.rebuild()
            while True:
                if not changed.wait(timeout=0.2):  # a timeout, so that Ctrl-C is seen at once
                    continue
                wait_for_quiet(changed, SETTLE_SECONDS)
                builder.rebuild()
    except KeyboardInterrupt:
        pass
    finally:
        state.close()
        server.shutdown()
        server.server_close()
        builder.close()
        if stop_on_terminate:
            signal.signal(signal.SIGTERM, previous_handler)
        print("[serve] stopped", flush=True)


def _interrupt(signal_number: int, frame: object) -> None:
    raise KeyboardInterrupt
