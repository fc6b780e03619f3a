"""A Dask preload for the embedded cluster's workers: Ctrl-C on the terminal is the client's to handle.

The terminal sends SIGINT to every process of the foreground group; workers ignore it, and
the client cancels the runs and closes the cluster.
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def dask_setup(worker: Any) -> None:
    """Ignore SIGINT in this worker process."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
