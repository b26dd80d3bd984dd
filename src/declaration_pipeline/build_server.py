"""The build server: a process that has the pipeline imported, and runs each `doit` in a fork of itself.

A small build spends most of its time starting: Python, doit, then in each
worker the pipeline, PyYAML, pybtex, lxml, pikepdf and PDFium (0.3-0.5 s of the
0.9 s that one changed signatory took). Like Gradle's daemon or Bazel's server,
the first `doit` in a project builds as before and then starts a server in the
background; every later `doit` (the command line, for this project's dodo.py in
the folder where it is run) hands its arguments, folder, environment and
terminal (its stdin, stdout and stderr themselves, passed over the socket) to
the server, which forks a process that runs doit exactly as the command would.
That process takes the build lock, prints to the terminal, and answers with
doit's exit code; Ctrl-C in the terminal interrupts it.

The server stops after IDLE_MINUTES without a build, as soon as the pipeline's
code or the installed packages change (it would run old code; the next `doit`
runs in a process of its own and starts a new server), and when its project
folder is removed. Each project, with each Python, has its own server, on an
abstract Unix socket named after them (Linux; elsewhere `doit` never uses one),
and it serves only its own user. `DECLARATION_BUILD_SERVER=0` turns it off; so
does a CI environment (`CI` set), where each build is the only one.
`python -m declaration_pipeline.build_server status|stop` shows or stops this
folder's server.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .build_lock import HOLDER_ENVIRONMENT

SWITCH = "DECLARATION_BUILD_SERVER"
IDLE_MINUTES = 15
_CHECK_EVERY = 2.0  # seconds between looks at the code, the packages and the folder
_MESSAGE = 1 << 20
# What a build imports, so that it does not have to (with idle_imports.MODULES).
PRELOAD = (
    "doit.doit_cmd",
    "doit.cmd_run",
    "tomllib",  # doit reads pyproject.toml's [tool.doit] with it
    "multiprocessing.connection",  # and starts its workers with these
    "multiprocessing.popen_fork",
    "multiprocessing.queues",
    "multiprocessing.synchronize",
    "declaration_pipeline.doit_commands",
    "declaration_pipeline.checks.signatories",
    "declaration_pipeline.checks.bibliography",
    "declaration_pipeline.checks.citations",
    "declaration_pipeline.checks.footnotes",
    "declaration_pipeline.checks.front_matter",
    "declaration_pipeline.checks.headings",
    "declaration_pipeline.checks.markdown_text",
    "declaration_pipeline.checks.printable",
    "declaration_pipeline.checks.resources",
    "declaration_pipeline.sources",
    "declaration_pipeline.idle_imports",
)

_serving = False  # true in a process the server forked to run a build
# The package this `doit` imported its commands from, and so the one its builds use (dodo.py's
# src/ comes later on the path): the server imports the same.
_PACKAGE = Path(__file__).resolve().parent


def wanted() -> bool:
    """Whether this `doit` may use (and start) a build server."""
    switch = os.environ.get(SWITCH, "").strip().lower()
    if switch in ("0", "false", "no", "off"):
        return False
    if not switch and os.environ.get("CI"):
        return False
    if os.environ.get(HOLDER_ENVIRONMENT):
        return False  # a `doit` that a locked build started builds under that build's lock, in its own process
    return not _serving and sys.platform == "linux" and _run_from_the_command_line()


def _run_from_the_command_line() -> bool:
    # `doit ...` or `python -m doit ...`: a DoitMain().run(sys.argv[1:]) that can be run again elsewhere.
    program = Path(sys.argv[0])
    return program.name == "doit" or (program.name == "__main__.py" and program.parent.name == "doit")


def _fingerprint(root: Path) -> str:
    """What the server's imported code depends on: this Python, the pipeline's files, the installed packages."""
    parts = [sys.executable, str(root), os.environ.get("PYTHONPATH", "")]
    for path in sorted(_PACKAGE.rglob("*.py")):
        stat = path.stat()
        parts.append(f"{path} {stat.st_size} {stat.st_mtime_ns}")
    # pip install and uninstall add and remove entries in these folders, and so change their times.
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            with contextlib.suppress(OSError):
                parts.append(f"{entry} {os.stat(entry).st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _address(fingerprint: str) -> bytes:
    # An abstract socket: no file to leave behind in the project, and no limit on the project's path.
    return b"\0declaration-build-" + fingerprint[:40].encode()


def _connect(root: Path) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        connection.connect(_address(_fingerprint(root)))
        if _peer_uid(connection) == os.getuid():  # anyone can take a name: never hand a terminal to another user
            return connection
    except OSError:
        pass
    connection.close()
    return None


def forward(root: Path, arguments: list[str]) -> int | None:
    """Run this doit command in `root`'s build server and return its exit code; None if no server ran it.

    Ctrl-C (SIGINT), SIGTERM and SIGHUP sent to this process are passed on to the build's process group.
    """
    connection = _connect(root)
    if connection is None:
        return None
    umask = os.umask(0)
    os.umask(umask)
    request = {
        "run": arguments,
        "argv0": sys.argv[0],
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "umask": umask,
        "streams": [[stream.encoding, stream.errors] for stream in (sys.stdout, sys.stderr)],
    }
    build: dict[str, int] = {}  # "pid" once the server has started the build, "signal" once one was passed on

    def pass_on(number: int, frame: object) -> None:
        build["signal"] = number
        if "pid" in build:  # to its process group, as a terminal sends Ctrl-C to doit, its workers and tools
            with contextlib.suppress(OSError):
                os.killpg(build["pid"], number)

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {number: signal.signal(number, pass_on) for number in handled}
    try:
        with connection:
            sys.stdout.flush()
            sys.stderr.flush()
            socket.send_fds(connection, [json.dumps(request).encode()], [0, 1, 2])
            while True:
                answer = connection.recv(_MESSAGE)
                if answer.startswith(b"pid "):
                    build["pid"] = int(answer.split()[1])
                    if "signal" in build:  # sent while the server was starting the build
                        pass_on(build["signal"], None)
                elif answer.startswith(b"exit "):
                    return int(answer.split()[1])
                elif "signal" in build:
                    return 128 + build["signal"]
                elif "pid" not in build:
                    return None  # the server is stopping (its code changed): build here
                else:
                    print(f"the build server's process {build['pid']} ended before the build did", file=sys.stderr)
                    return 2
    except OSError:
        return None if "pid" not in build else 2
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def start(root: Path) -> None:
    """Start `root`'s build server in the background (it exits at once if one is already running)."""
    code = (
        f"import sys; sys.path.insert(0, {str(_PACKAGE.parent)!r}); "
        f"from declaration_pipeline.build_server import serve; serve({str(root)!r})"
    )
    with contextlib.suppress(OSError):
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C and a closed terminal are for the build, not for the server
        )


def serve(root_name: str) -> None:
    """The server's loop: one forked process per build, until idle, outdated or orphaned."""
    root = Path(root_name)
    fingerprint = _fingerprint(root)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        # Listening before importing: a `doit` started meanwhile waits for this server, not for another.
        listener.bind(_address(fingerprint))
    except OSError:
        return  # another server has this project
    listener.listen(16)
    _warm_up()
    gc.collect()
    gc.freeze()  # the forked builds do not copy the imported modules' pages to count references
    listener.settimeout(_CHECK_EVERY)
    state = {"pid": os.getpid(), "root": str(root), "started": time.time(), "builds": 0}
    last_build = time.monotonic()
    while True:
        _reap_builds()
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            idle = time.monotonic() - last_build > IDLE_MINUTES * 60
            if idle or not root.is_dir() or _fingerprint(root) != fingerprint:
                return
            continue
        with connection:
            try:
                answered = _answer(connection, listener, state, fingerprint)
            except OSError:  # the `doit` went away, or no process could be forked: it builds by itself
                continue
        if answered == "stop":
            return
        if answered == "build":
            last_build = time.monotonic()


def _answer(connection: socket.socket, listener: socket.socket, state: dict, fingerprint: str) -> str:
    """Answer one connection: a build (forked), a status, or a stop."""
    if _peer_uid(connection) != os.getuid():
        return "refused"
    message, descriptors, _, _ = socket.recv_fds(connection, _MESSAGE, 3)
    try:
        try:
            request = json.loads(message)
        except ValueError:
            request = {}  # not from a doit of ours: answered like a status request
        if "run" not in request:
            connection.send(json.dumps(state).encode())
            return "stop" if request.get("stop") else "status"
        if _fingerprint(Path(state["root"])) != fingerprint:
            connection.send(b"outdated")
            return "stop"
        if os.fork() == 0:
            listener.close()
            _build(connection, request, descriptors)  # never returns
        state["builds"] += 1
        return "build"
    finally:
        for descriptor in descriptors:
            os.close(descriptor)


def _warm_up() -> None:
    """Do once here what every build would do first: import, and find doit's plugins."""
    for name in PRELOAD:
        importlib.import_module(name)
    from . import idle_imports

    for name in idle_imports.MODULES:
        importlib.import_module(name)
    # doit looks for plugins among the installed packages' entry points three times a run (0.02 s).
    # They cannot change under this server: installing or removing a package stops it.
    import functools
    from importlib.metadata import entry_points

    import doit.plugin

    found = functools.cache(entry_points)
    for category in ("COMMAND", "BACKEND", "REPORTER", "LOADER"):
        found(group=f"doit.{category}")
    doit.plugin.entry_points_impl = lambda: found
    # doit finds each task creator's line in dodo.py with the tokenizer, whose patterns compile once.
    import inspect

    inspect.getsourcelines(_warm_up)


def _peer_uid(connection: socket.socket) -> int:
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", credentials)[1]


def _reap_builds() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _build(connection: socket.socket, request: dict, descriptors: list[int]) -> None:
    """In the forked process: become the `doit` that asked, run it, answer with its exit code."""
    global _serving
    _serving = True
    code = 3
    try:
        os.setpgid(0, 0)  # a process group of its own, with doit's workers and the tools they run
        connection.send(f"pid {os.getpid()}".encode())
        for number, descriptor in enumerate(descriptors):
            os.dup2(descriptor, number)
            os.close(descriptor)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        tempfile.tempdir = None  # found again from this environment's TMPDIR
        os.umask(request["umask"])
        sys.argv = [request["argv0"], *request["run"]]
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
        (out_encoding, out_errors), (err_encoding, err_errors) = request["streams"]
        sys.stdout = io.TextIOWrapper(
            io.FileIO(1, "w", closefd=False), out_encoding, out_errors, line_buffering=os.isatty(1)
        )
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), err_encoding, err_errors, line_buffering=True)
        sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
        from doit.doit_cmd import DoitMain

        code = DoitMain().run(request["run"])
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    except BaseException:  # a fault of the server's, not the build's: say so in full
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
            connection.send(f"exit {code}".encode())
        os._exit(0)


def _ask(root: Path, request: dict) -> dict | None:
    connection = _connect(root)
    if connection is None:
        return None
    with connection:
        connection.send(json.dumps(request).encode())
        return json.loads(connection.recv(_MESSAGE) or b"null")


def main(arguments: list[str]) -> int:
    """`status` or `stop` the build server of the current folder's project."""
    if arguments not in (["status"], ["stop"]):
        print("usage: python -m declaration_pipeline.build_server status|stop", file=sys.stderr)
        return 2
    root = Path.cwd()
    state = _ask(root, {"stop": arguments == ["stop"]})
    if state is None:
        print(f"no build server for {root}")
        return 1 if arguments == ["status"] else 0
    verb = "stopped" if arguments == ["stop"] else "running"
    print(f"build server {state['pid']} for {state['root']}: {verb}, {state['builds']} builds served")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
