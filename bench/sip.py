"""SIP trunk benchmark: N concurrent calls of S seconds, placed by one SipTrunkProvider (one
worker process) to SIPp answering them all with -rtp_echo (our RTP comes back: media both
ways). The agent speaks for the whole call (one long prompt, rendered once).

Prints, per N:
  cpu_ms_per_call       CPU time of this process (user + system) over the run, per call
  setup_per_second      calls answered per second, from the first INVITE to the last 200 OK
  jitter_p99_ms         lateness of our RTP packets against their steady-clock due time, p99
  late_packets          packets sent more than one packet time (20 ms) late
  rtp_received          packets that came back from the echo

    uv run python bench/sip.py                        # 100, 200, 500 calls of 30 s
    uv run python bench/sip.py --calls 50 --seconds 10
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import structlog

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from herald.kit.clock import SystemClock  # noqa: E402
from herald.providers.sip.config import TrunkConfig  # noqa: E402
from herald.providers.sip.line import Line  # noqa: E402
from herald.providers.sip.provider import SipTrunkProvider  # noqa: E402
from herald.providers.voice_base import CallEvent, CallRequest, CallScript  # noqa: E402
from sipp_harness import free_port  # noqa: E402

SCENARIO = ROOT / "tests" / "sipp" / "bench_uas.xml"
SPEECH = "Hello, this is a long message from Herald about your policy. " * 40


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0


def run(calls: int, seconds: int, workdir: Path) -> dict[str, object]:
    port, media = free_port(), free_port() // 2 * 2
    sipp = subprocess.Popen(
        ["sipp", "-sf", str(SCENARIO), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
         "-mp", str(media), "-rtp_echo", "-m", str(calls), "-l", str(calls + 10), "-nostdin",
         "-timeout", f"{seconds + 60}s"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir,
    )  # fmt: skip
    time.sleep(0.5)
    answered: list[float] = []
    ended: list[float] = []

    def sink(events: list[CallEvent] | object) -> None:
        for event in events:  # type: ignore[attr-defined]
            if event.kind == "ANSWERED":
                answered.append(time.monotonic())
            elif event.kind == "ENDED":
                ended.append(time.monotonic())

    config = TrunkConfig("bench", "127.0.0.1", port, max_channels=calls, data_dir=workdir)
    provider = SipTrunkProvider(config, SystemClock())
    provider.start(sink)  # type: ignore[arg-type]
    script = CallScript(greeting="Hello.", message=SPEECH)
    provider._speech.g711(SPEECH, "en-us", "PCMU")  # rendered once, before the clock starts
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    lines: list[Line] = []
    for offset in range(0, calls, 50):
        batch = [
            CallRequest(uuid.uuid4(), f"+3519{i:08d}", "+351211000000", script, seconds)
            for i in range(offset, min(calls, offset + 50))
        ]
        provider.place(batch)
        lines += [line for r in batch if (line := provider.line(r.call_id)) is not None]
    deadline = time.monotonic() + seconds + 60
    while len(ended) < calls and time.monotonic() < deadline:
        time.sleep(0.2)
    after = resource.getrusage(resource.RUSAGE_SELF)
    provider.stop()
    sipp.kill()
    sipp.wait()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lateness = [x for line in lines if line._media for x in line._media.stats.lateness]
    setup_span = (max(answered) - started) if answered else 0.0
    return {
        "calls": calls,
        "seconds": seconds,
        "answered": len(answered),
        "ended": len(ended),
        "cpu_ms_per_call": round(1000 * cpu / calls, 1),
        "cpu_share": round(cpu / (time.monotonic() - started), 2),
        "setup_per_second": round(len(answered) / setup_span, 1) if setup_span else 0,
        "jitter_p50_ms": round(1000 * percentile(lateness, 0.50), 2),
        "jitter_p99_ms": round(1000 * percentile(lateness, 0.99), 2),
        "late_packets": sum(line._media.stats.late_packets for line in lines if line._media),
        "rtp_sent": sum(line._media.stats.sent for line in lines if line._media),
        "rtp_received": sum(line._media.received for line in lines if line._media),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, nargs="*", default=[100, 200, 500])
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    for calls in args.calls:
        with tempfile.TemporaryDirectory() as workdir:
            print(json.dumps(run(calls, args.seconds, Path(workdir))), flush=True)


if __name__ == "__main__":
    main()
