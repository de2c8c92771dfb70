"""Run localstripe (the offline fake of Stripe, a development dependency) on a loopback port.

``python -m app.payments.localstripe_server --port 0`` prints ``listening on http://127.0.0.1:PORT``
once it accepts connections. localstripe's own ``start()`` binds ``::`` (every interface) and
pickles its whole store to the fixed path ``/tmp/localstripe.pickle`` after every write: runs on
one machine would overwrite each other's state, and the dump grows with every object (a write
costs more the longer it runs). Here state lives in memory only, unless ``--state-file`` names a
file of this run's own (``make run`` keeps its fake payments across restarts in ``.data/``).
"""

from __future__ import annotations

import argparse
import os
import pickle
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any


def _persist_to(path: str | None) -> None:
    from localstripe import resources

    def dump(store: Any) -> None:
        if path is None:
            return
        tmp = f"{path}.tmp"
        with open(tmp, "wb") as file:
            pickle.dump(dict(store), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    def load(store: Any) -> None:
        if path is None or not os.path.exists(path):
            return
        with open(path, "rb") as file:
            dict.update(store, pickle.load(file))

    resources.Store.dump_to_disk = dump
    resources.Store.try_load_from_disk = load


def spawn(*extra: str, start_wait_s: float = 20.0) -> tuple[subprocess.Popen[bytes], str]:
    """Start this launcher in a process of its own on a free port: the process and its URL, once it serves."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app.payments.localstripe_server", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()  # "listening on http://127.0.0.1:PORT"
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"localstripe did not start: {line!r}")
    url = line.removeprefix("listening on ")
    deadline = time.monotonic() + start_wait_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/v1/balance", timeout=2):
                pass
        except urllib.error.HTTPError:
            return process, url  # any answer (401 without a key) means it serves
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("localstripe did not answer") from None
            time.sleep(0.1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.payments.localstripe_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420, help="0 picks a free port")
    parser.add_argument("--state-file", default=None, help="keep the fake's objects in this file")
    parser.add_argument("--from-scratch", action="store_true", help="ignore what the state file holds")
    args = parser.parse_args(argv)

    _persist_to(args.state_file)
    from aiohttp import web
    from localstripe import server
    from localstripe.resources import store

    if not args.from_scratch:
        store.try_load_from_disk()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(512)  # connections made before the server starts wait in the backlog
    port = sock.getsockname()[1]

    async def announce(_app: Any) -> None:
        print(f"listening on http://{args.host}:{port}", flush=True)

    server.app.on_startup.append(announce)
    web.run_app(server.app, sock=sock, print=None, access_log=None, handle_signals=True)


if __name__ == "__main__":
    main(sys.argv[1:])
