"""systemd's service notifications (sd_notify(3)) and socket activation (sd_listen_fds(3))
in plain Python, no libsystemd.

`notify("READY=1")` sends one datagram to `$NOTIFY_SOCKET` (a path, or `@name` in Linux's
abstract namespace). Outside systemd the variable is unset and every call does nothing.
Notifications are best effort: a failure is logged at debug level, never raised.
`listen_sockets()` takes the sockets a `.socket` unit opened for us.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger("cycsrv.systemd")


def notify_address() -> str | None:
    """The socket address systemd gave us, with `@` turned into the abstract-namespace NUL."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return None
    return "\0" + path[1:] if path.startswith("@") else path


def notify(*lines: str) -> bool:
    """Send `lines` (e.g. `"READY=1"`, `"STATUS=t=3"`) as one datagram; True if it was sent."""
    address = notify_address()
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.setblocking(False)
            sock.connect(address)
            sock.send("\n".join(lines).encode())
    except OSError as exc:
        log.debug("sd_notify %r failed: %s", lines, exc)
        return False
    return True


def watchdog_period() -> float | None:
    """Seconds between `WATCHDOG=1` pings (half of `$WATCHDOG_USEC`), or None when systemd
    does not watch this process (`$WATCHDOG_PID` set to another PID, or no watchdog)."""
    pid = os.environ.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 2e6 if usec > 0 else None


#: The first file descriptor systemd passes (sd_listen_fds(3): SD_LISTEN_FDS_START).
LISTEN_FDS_START = 3


def listen_sockets() -> list[socket.socket]:
    """The listening sockets systemd passed (socket activation: `$LISTEN_FDS` descriptors from
    fd 3 on, meant for this process when `$LISTEN_PID` is ours), in the `.socket` unit's order.

    The variables are removed, as sd_listen_fds(1) does, so children do not take them too.
    Outside socket activation the list is empty.
    """
    pid, count = os.environ.pop("LISTEN_PID", ""), os.environ.pop("LISTEN_FDS", "")
    os.environ.pop("LISTEN_FDNAMES", None)
    if pid != str(os.getpid()):
        return []
    try:
        n = int(count)
    except ValueError:
        log.warning("LISTEN_FDS=%r is not a number; ignoring socket activation", count)
        return []
    sockets = []
    for fd in range(LISTEN_FDS_START, LISTEN_FDS_START + n):
        os.set_inheritable(fd, False)
        sockets.append(socket.socket(fileno=fd))
    return sockets
