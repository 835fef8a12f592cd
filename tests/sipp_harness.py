"""SIPp (Debian package sip-tester) as the callee of a SIP trunk, on 127.0.0.1: one run of a
scenario XML from tests/sipp/ answering one call. Not our code: the far side of the wire."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

SCENARIOS = Path(__file__).parent / "sipp"
needs_sipp = pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp is not installed")


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sipp:
    """`with Sipp("busy", tmp_path) as callee:` then call 127.0.0.1:callee.port."""

    def __init__(
        self, scenario: str, workdir: Path, transport: str = "udp", calls: int = 1
    ) -> None:
        self.calls = calls  # SIPp exits after this many calls ran through the scenario
        self.scenario = SCENARIOS / f"{scenario}.xml"
        self.transport = transport
        self.port = free_port(socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM)
        self.media_port = free_port() // 2 * 2
        self.errors = workdir / f"sipp-{scenario}.err"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Sipp:
        command = [
            "sipp",
            *("-sf", str(self.scenario)),
            *("-i", "127.0.0.1", "-p", str(self.port)),
            *("-t", "t1" if self.transport == "tcp" else "u1"),
            *("-mi", "127.0.0.1", "-mp", str(self.media_port)),
            *("-m", str(self.calls), "-timeout", "40s", "-nostdin"),
            *("-trace_err", "-error_file", str(self.errors)),
        ]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.errors.parent
        )
        self._wait_listening()
        return self

    def _wait_listening(self) -> None:
        kind = "tcp" if self.transport == "tcp" else "udp"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            listing = subprocess.run(["ss", "-lnH", f"--{kind}"], capture_output=True, text=True)
            if f"127.0.0.1:{self.port} " in listing.stdout:
                return
            time.sleep(0.05)
        raise RuntimeError("sipp did not start listening")

    def finished(self, timeout: float = 30) -> int:
        """SIPp's exit status: 0 when its scenario ran to the end as written."""
        assert self._process is not None
        return self._process.wait(timeout=timeout)

    def __exit__(self, *exc: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=5)
