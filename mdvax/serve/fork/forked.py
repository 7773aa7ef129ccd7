"""A handle on a kernel the fork server's template forked: it is not the server's child."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess


class ForkedProcess:
    """A ``Popen``-like handle on a kernel forked by the template (not a child of ours).

    The exit status of a process that is not our child cannot be read: :meth:`poll` gives
    ``-signal`` after :meth:`send_signal` ended it, else 0.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._signal = 0
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:  # already gone
            self._pidfd, self.returncode = None, 1

    def poll(self) -> int | None:
        if self.returncode is None and _readable(self._pidfd, 0):
            self._exited()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not _readable(self._pidfd, timeout):
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            self._exited()
        return self.returncode

    def _exited(self) -> None:
        self.returncode = -self._signal if self._signal else 0
        os.close(self._pidfd)
        self._pidfd = None

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # ended meanwhile, as Popen does
                signal.pidfd_send_signal(self._pidfd, signum)
            if signum in (signal.SIGKILL, signal.SIGTERM):
                self._signal = signum

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _readable(fd: int, timeout: float | None) -> bool:
    """Whether ``fd`` is readable within ``timeout`` seconds (``None``: wait).

    ``poll``, not ``select``: the server's descriptors go past 1024 (``FD_SETSIZE``) once its
    open-file limit is raised, and ``select`` refuses those.
    """
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(None if timeout is None else timeout * 1000))
