"""This process's node id: a name for "the dialer that holds these calls" that survives a
restart, so that a restarted process can settle the calls it had on the line at once
instead of waiting for their leases to run out.

`HERALD_NODE_ID` names it explicitly (the operator promises that no two live processes
share it). Otherwise it is derived: a base made once from the host name and a random
suffix, persisted in `<data_dir>/node-id` (so a container with a new host name but the
same volume keeps it), plus a slot. Each live process holds an exclusive lock on its
slot's file (`<data_dir>/nodes/<n>.lock`) for as long as it runs and takes the lowest free
one, so processes sharing a data dir never share an id, and the kernel frees a dead
process's slot for its successor. Holding the lock is what makes recovery safe: whoever
owned this id before us is dead, so its calls are ours to settle.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import re
import secrets
import socket
from pathlib import Path
from typing import IO

BASE_FILE = "node-id"
SLOTS_DIR = "nodes"


class NodeId:
    """The id and, when derived, the open lock file that reserves it."""

    def __init__(self, value: str, lock: IO[bytes] | None = None) -> None:
        self.value = value
        self._lock = lock

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file drops the lock
            self._lock = None


def claim(data_dir: Path, configured: str | None) -> NodeId:
    if configured:
        return NodeId(configured)
    base = _base(data_dir)
    slots = data_dir / SLOTS_DIR
    slots.mkdir(parents=True, exist_ok=True)
    for slot in itertools.count():
        lock = (slots / f"{slot}.lock").open("ab")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return NodeId(base if slot == 0 else f"{base}.{slot}", lock)
    raise AssertionError("unreachable")


def _base(data_dir: Path) -> str:
    path = data_dir / BASE_FILE
    if not path.exists():
        host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:40].strip(".-") or "node"
        temporary = data_dir / f".{BASE_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        temporary.write_text(f"{host}-{secrets.token_hex(3)}\n")
        try:
            os.link(temporary, path)  # atomic: the first process to get here wins
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()
