"""What ``qa-api serve`` runs: gunicorn on a private unix socket, nginx in front of it on the public address.

The two start, stop and fall together: a signal to this process reaches both (HUP and gunicorn's other signals
go to gunicorn alone), and when either exits the other is stopped. Run as ``python -m qa_api.serving.supervisor``
with the same ``QA_API_*`` environment as gunicorn.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from qa_api.serving import nginx
from qa_api.settings import Settings

GUNICORN_APP = "qa_api.http.app:create_app()"
GUNICORN_CONFIG = "python:qa_api.serving.gunicorn_conf"
SOCKET_WAIT_S = 60
STOP_WAIT_S = 30
# Signals that mean "stop", and what each child is sent for it: nginx QUIT and gunicorn TERM both finish the
# requests in flight first; INT stops both at once.
_STOP = {signal.SIGTERM: (signal.SIGQUIT, signal.SIGTERM), signal.SIGINT: (signal.SIGINT, signal.SIGINT),
         signal.SIGQUIT: (signal.SIGQUIT, signal.SIGTERM)}
_FOR_GUNICORN = (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGTTIN, signal.SIGTTOU)


class Supervisor:
    def __init__(self, settings: Settings, nginx_binary: str, directory: Path) -> None:
        self.settings = settings
        self.nginx_binary = nginx_binary
        self.directory = directory
        self.socket = directory / "gunicorn.sock"
        self.gunicorn: subprocess.Popen[bytes] | None = None
        self.nginx: subprocess.Popen[bytes] | None = None
        self.stopping: signal.Signals | None = None

    def run(self) -> int:
        for sig in (*_STOP, *_FOR_GUNICORN):
            signal.signal(sig, self._on_signal)
        self.gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG,
                                          "--bind", f"unix:{self.socket}", GUNICORN_APP])
        if not self._wait_for_socket():
            return self._stop_all(signal.SIGTERM, "gunicorn did not open its socket")
        config = nginx.write_config(nginx.Front.of(self.settings, self.socket), self.directory)
        self.nginx = subprocess.Popen([self.nginx_binary, "-e", "stderr", "-p", str(self.directory),
                                       "-c", str(config)])
        return self._watch()

    def _wait_for_socket(self) -> bool:
        deadline = time.monotonic() + SOCKET_WAIT_S
        while time.monotonic() < deadline and self.stopping is None:
            if self.socket.exists():
                return True
            if self.gunicorn is None or self.gunicorn.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def _watch(self) -> int:
        """Wait until a stop signal or until either child exits; then stop the other and return."""
        while self.stopping is None:
            for name, child in (("gunicorn", self.gunicorn), ("nginx", self.nginx)):
                if child is not None and child.poll() is not None:
                    return self._stop_all(signal.SIGTERM, f"{name} exited with status {child.returncode}")
            time.sleep(0.2)
        return self._stop_all(self.stopping, None)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        sig = signal.Signals(signum)
        if sig in _STOP:
            self.stopping = self.stopping or sig
        elif self.gunicorn is not None and self.gunicorn.poll() is None:
            self.gunicorn.send_signal(sig)

    def _stop_all(self, sig: signal.Signals, reason: str | None) -> int:
        if reason:
            print(f"qa-api serve: {reason}; stopping", file=sys.stderr, flush=True)
        to_nginx, to_gunicorn = _STOP[sig]
        for child, child_sig in ((self.nginx, to_nginx), (self.gunicorn, to_gunicorn)):
            if child is not None and child.poll() is None:
                child.send_signal(child_sig)
        deadline = time.monotonic() + STOP_WAIT_S
        for child in (self.nginx, self.gunicorn):
            if child is None:
                continue
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        return 1 if reason else 0


def main() -> int:
    settings = Settings.from_env()
    binary = nginx.find_binary()
    if binary is None:
        print(f"qa-api serve: nginx is missing; as root run: {nginx.INSTALL_COMMAND}", file=sys.stderr)
        return 2
    directory = Path(tempfile.mkdtemp(prefix="qa-api-"))
    try:
        return Supervisor(settings, binary, directory).run()
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(directory)


if __name__ == "__main__":
    sys.exit(main())
