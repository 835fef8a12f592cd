"""A worker process with calls on a SIP trunk, to be killed with SIGKILL by a test:
`python tests/sip_crash_child.py PORT DATA_DIR CALL_ID...`. It prints each event's kind."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from herald.kit.clock import SystemClock
from herald.providers.sip.config import TrunkConfig
from herald.providers.sip.provider import SipTrunkProvider
from herald.providers.voice_base import CallEvent, CallRequest, CallScript


def main(port: int, data_dir: Path, call_ids: list[uuid.UUID]) -> None:
    def sink(events: Sequence[CallEvent]) -> None:
        for event in events:
            print(event.kind.value, flush=True)

    config = TrunkConfig(
        "carrier-1", "127.0.0.1", port, data_dir=data_dir, ring_timeout=60, max_channels=50
    )
    provider = SipTrunkProvider(config, SystemClock())
    provider.start(sink)
    script = CallScript(greeting="Hello.", message="A long message. " * 20)
    provider.place(
        [CallRequest(c, "+351211234567", "+351211000000", script, 300) for c in call_ids]
    )
    time.sleep(300)


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]), [uuid.UUID(c) for c in sys.argv[3:]])
