"""The build server: a process that has the pipeline imported, and runs each `doit` in a fork of itself.

A small build spends most of its time starting: Python, doit, then in each
worker the pipeline, PyYAML, pybtex, lxml, pikepdf and PDFium (0.3-0.5 s of the
0.9 s that one changed signatory took). Like Gradle's daemon or Bazel's server,
the first `doit` in a project builds as before and then starts a server in the
background; every later `doit` run command (from the command line, for this
project's dodo.py in the folder where it is run) hands its arguments, folder,
environment, umask and terminal (its stdin, stdout and stderr themselves,
passed over the socket) to the server, which forks a process that runs doit
as the command would. That process takes the build lock, prints to the
terminal and answers with doit's exit code. The signals that stop a build go
to its process group, as a terminal sends them to doit and its workers; it
stops when its `doit` goes away.

The server stops after IDLE_MINUTES without a build, as soon as the pipeline's
code, the installed packages or the interpreter's settings change (it would
run old code; the next `doit` builds by itself and starts a new server), and
when its project folder is removed. Each project, with each Python, has its
own server, on an abstract Unix socket named after them (Linux; elsewhere
`doit` never uses one), and it serves only its own user. `DECLARATION_BUILD_SERVER=0`
turns it off; so does a CI environment (`CI` set), where each build is the only one.
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
import pkgutil
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from . import build_lock
from .atomic_files import process_exists
from .build_lock import HOLDER_ENVIRONMENT

SWITCH = "DECLARATION_BUILD_SERVER"
IDLE_MINUTES = 15
_CHECK_EVERY = 2.0  # seconds between looks at the code, the packages and the folder
_MESSAGE = 1 << 20
# What a build imports, so that it does not have to: these, every check, and idle_imports.MODULES.
PRELOAD = (
    "doit.doit_cmd",
    "doit.cmd_run",
    "tomllib",  # doit reads pyproject.toml's [tool.doit] with it
    "multiprocessing.connection",  # and starts its workers with these
    "multiprocessing.popen_fork",
    "multiprocessing.queues",
    "multiprocessing.synchronize",
    "declaration_pipeline.doit_commands",
    "declaration_pipeline.sources",
    "declaration_pipeline.idle_imports",
)
# The signals a terminal or `timeout` sends to stop a build: passed on to the build in the server.
_STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)

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
    """What the server's imported code and its interpreter depend on: this Python and how it was started,
    the pipeline's files, the installed packages."""
    python = sorted(f"{key}={value}" for key, value in os.environ.items() if key.startswith("PYTHON"))
    python += [os.path.abspath(entry) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    interpreter = [
        os.path.realpath(sys.executable),
        repr(sys.flags),
        repr(sys.warnoptions),
        repr(sorted(sys._xoptions.items())),
    ]
    digest = hashlib.sha256("\0".join([*interpreter, str(root), *python]).encode())
    for path in sorted(_PACKAGE.rglob("*.py")):  # by content: an edit copied with its old time counts too
        digest.update(f"{path}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    # pip install and uninstall add and remove entries in these folders, and so change their times.
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            with contextlib.suppress(OSError):
                digest.update(f"{entry} {os.stat(entry).st_mtime_ns}\0".encode())
    return digest.hexdigest()


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

    A signal to stop (Ctrl-C's SIGINT, SIGTERM, SIGHUP, SIGQUIT) that this process does not ignore is
    passed on to the build's process group, as a terminal passes it to a doit and its workers. If the
    build ends by a signal, so does this process.
    """
    connection = _connect(root)
    if connection is None:
        return None
    umask = os.umask(0)
    os.umask(umask)
    ignored = [number for number in _STOPPING if signal.getsignal(number) is signal.SIG_IGN]
    request = {
        "run": arguments,
        "argv0": sys.argv[0],
        "command": build_lock.own_command_line(),
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "umask": umask,
        "ignored": ignored,
        "streams": [[stream.encoding, stream.errors] for stream in (sys.stdout, sys.stderr)],
        "unbuffered": bool(getattr(sys.stdout, "write_through", False)),
    }
    build: dict[str, int] = {}  # "pid" once the server has started the build, "signal" once one came

    def pass_on(number: int, frame: object) -> None:  # never raises: it may run anywhere below
        build["signal"] = number
        if "pid" in build:
            with contextlib.suppress(OSError):
                os.killpg(build["pid"], number)

    previous: dict[int, object] = {}
    try:
        previous.update((number, signal.signal(number, pass_on)) for number in _STOPPING if number not in ignored)
        with connection:
            sys.stdout.flush()
            sys.stderr.flush()
            socket.send_fds(connection, [json.dumps(request).encode()], [0, 1, 2])
            answer = _answer_to(connection, build)
    except OSError:
        answer = None if "pid" not in build else "ended"
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
    if answer is None and "signal" not in build:
        return None  # no server ran it (one that is stopping: its code changed): build here
    if answer is not None and answer.startswith("exit "):
        return int(answer.split()[1])
    number = int(answer.split()[1]) if answer and answer.startswith("signal ") else build.get("signal")
    if number is not None:  # end as a doit of its own would have: by that signal
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
        return 128 + number
    print(f"the build server's process {build['pid']} ended before the build did", file=sys.stderr)
    return 2


def _answer_to(connection: socket.socket, build: dict[str, int]) -> str | None:
    """The build's last word: "exit N", "signal N", or "ended" if its process ended without one;
    None if the server started no build (it is stopping, or a signal came first and it did not answer)."""
    signalled_at = None
    while "pid" not in build:
        ready, _, _ = select.select([connection], [], [], 0.1)
        if ready:
            started = connection.recv(_MESSAGE).decode()
            if not started.startswith("pid "):
                return None
            build["pid"] = int(started.split()[1])
            if "signal" in build:  # it came while the server was starting the build
                with contextlib.suppress(OSError):
                    os.killpg(build["pid"], build["signal"])
        elif "signal" in build:  # a busy or stopped server: give it a moment, then give up
            signalled_at = signalled_at or time.monotonic()
            if time.monotonic() - signalled_at > 1:
                return None
    # Its workers hold copies of this connection: watch the process itself, not only the socket.
    try:
        process: int | None = os.pidfd_open(build["pid"])
    except ProcessLookupError:
        return connection.recv(_MESSAGE).decode() or "ended"
    except OSError:  # no pidfds here (an old kernel, a seccomp profile): look every half second
        process = None
    try:
        while True:
            watched = [connection] if process is None else [connection, process]
            ready, _, _ = select.select(watched, [], [], 0.5 if process is None else None)
            if connection in ready:
                return connection.recv(_MESSAGE).decode() or "ended"
            if process in ready or (process is None and not process_exists(build["pid"])):
                connection.setblocking(False)
                try:
                    return connection.recv(_MESSAGE).decode() or "ended"
                except BlockingIOError:
                    return "ended"
    finally:
        if process is not None:
            os.close(process)


def start(root: Path) -> None:
    """Start `root`'s build server in the background (it exits at once if one is already running)."""
    code = (
        f"import sys; sys.path.insert(0, {str(_PACKAGE.parent)!r}); "
        f"from declaration_pipeline.build_server import serve; serve({str(root)!r})"
    )
    with contextlib.suppress(OSError):
        subprocess.Popen(
            [sys.executable, *_interpreter_options(), "-c", code],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C and a closed terminal are for the build, not for the server
        )


def _interpreter_options() -> list[str]:
    """The options this Python was started with (-X, -W, -O...), which its fingerprint counts."""
    options, arguments = [], iter(sys.orig_argv[1:])
    for argument in arguments:
        if argument in ("-c", "-m", "-") or not argument.startswith("-"):
            break  # what follows is the program and its arguments
        options.append(argument)
        if argument in ("-W", "-X"):
            options.append(next(arguments, ""))
    return options


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
    connection.settimeout(_CHECK_EVERY)  # one that connects and says nothing holds up no other
    message, descriptors, _, _ = socket.recv_fds(connection, _MESSAGE, 3)
    connection.settimeout(None)
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
    from . import checks, idle_imports

    found_checks = [f"{checks.__name__}.{module.name}" for module in pkgutil.iter_modules(checks.__path__)]
    for name in (*PRELOAD, *found_checks, *idle_imports.MODULES):
        with contextlib.suppress(Exception):  # a build that needs it imports it again, and reports what is wrong
            importlib.import_module(name)
    # doit's plugins, found once here for every build: installing or removing a package stops this server.
    from .doit_commands import find_plugins_once, installed_entry_points

    find_plugins_once()
    installed_entry_points()
    # doit finds each task creator's line in dodo.py with the tokenizer, whose patterns compile once;
    # assemble reads the declaration's date with strptime, whose first call builds its own.
    import inspect
    from datetime import datetime

    inspect.getsourcelines(_warm_up)
    datetime.strptime("2024-10-01", "%Y-%m-%d")


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
    answer = "exit 3"
    try:
        os.setpgid(0, 0)  # a process group of its own, with doit's workers and the tools they run
        for number in _STOPPING:  # as in the `doit` that asked, not in whichever started the server
            ignored = number in request["ignored"]
            default = signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL
            signal.signal(number, signal.SIG_IGN if ignored else default)
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
        build_lock.describe_this_process_as(request["command"])
        (out_encoding, out_errors), (err_encoding, err_errors) = request["streams"]
        sys.stdin = open(0, encoding=out_encoding, closefd=False)  # noqa: SIM115 (the process's own, never closed)
        if request["unbuffered"]:  # its doit's were (-u, PYTHONUNBUFFERED)
            sys.stdout, sys.stderr = (
                io.TextIOWrapper(io.FileIO(number, "w", closefd=False), encoding, errors, write_through=True)
                for number, encoding, errors in ((1, out_encoding, out_errors), (2, err_encoding, err_errors))
            )
        else:
            sys.stdout = open(1, "w", 1 if os.isatty(1) else -1, out_encoding, out_errors, closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", 1, err_encoding, err_errors, closefd=False)  # noqa: SIM115
        sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
        # The `doit` that asked went away (killed, or its terminal closed): stop, as its terminal would stop it.
        threading.Thread(target=_stop_without, args=(connection,), daemon=True).start()
        from doit.doit_cmd import DoitMain

        answer = f"exit {DoitMain().run(request['run'])}"
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            answer = f"exit {int(exit.code or 0)}"
        else:
            print(exit.code, file=sys.stderr)
            answer = "exit 1"
    except KeyboardInterrupt:  # Ctrl-C, passed on: shown and ended as a doit of its own would
        traceback.print_exc()
        answer = f"signal {signal.SIGINT.value}"
    except BaseException:  # a fault of the server's, not the build's: say so in full
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):  # a closed pipe or a full disk loses output, not the answer
            with contextlib.suppress(BaseException):
                stream.flush()
        _answered.set()
        with contextlib.suppress(BaseException):
            connection.send(answer.encode())
        os._exit(0)


_answered = threading.Event()  # the build is over: its `doit` going away now stops nothing


def _stop_without(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.recv(1)  # the `doit` that asked sends nothing more: this returns when it has gone
    if not _answered.is_set():
        os.killpg(0, signal.SIGHUP)


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
