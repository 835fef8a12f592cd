"""baresip (Debian package baresip) as an auto-answering callee on 127.0.0.1: a second SIP
implementation that is not ours. It records what it hears (sndfile module: *-dec.wav) and
sends it back (aubridge), so both directions carry RTP."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from sipp_harness import free_port

needs_baresip = pytest.mark.skipif(
    shutil.which("baresip") is None, reason="baresip is not installed"
)


class Baresip:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.home = workdir / "baresip"
        self.recordings = self.home / "recordings"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Baresip:
        self.recordings.mkdir(parents=True)
        # A port found free may be taken before baresip binds it (other tests run beside this
        # one): then baresip exits, and we start it again on another port.
        for _ in range(3):
            if self._start():
                return self
            self.port = free_port()
        raise RuntimeError(f"baresip did not start: {self.log.read_text(errors='replace')}")

    def _start(self) -> bool:
        (self.home / "config").write_text(
            f"sip_listen\t127.0.0.1:{self.port}\n"
            "audio_player\taubridge,callee\n"
            "audio_source\taubridge,callee\n"
            "audio_alert\taubridge,callee\n"
            "module_path\t/usr/lib/baresip/modules\n"
            "module\tg711.so\n"
            "module\taubridge.so\n"
            "module\tsndfile.so\n"
            "module_app\taccount.so\n"
            f"snd_path\t{self.recordings}\n"
        )
        (self.home / "accounts").write_text(
            f"<sip:callee@127.0.0.1:{self.port}>;regint=0;answermode=auto;audio_codecs=PCMU\n"
        )
        self.log = self.home / "baresip.log"
        self._process = subprocess.Popen(
            ["baresip", "-f", str(self.home), "-t", "60"],
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30  # a loaded machine starts it slowly
        while "baresip is ready" not in self.log.read_text(errors="replace"):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                return False
            time.sleep(0.05)
        return True

    def heard(self) -> Path:
        """The recording of what baresip received (decoded) on the call."""
        [path] = self.recordings.glob("*-dec.wav")
        return path

    def __exit__(self, *exc: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
