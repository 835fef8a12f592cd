"""A UDP relay on 127.0.0.1 that loses datagrams on purpose: it stands between Herald and a
SIP callee (SIPp) and drops the first datagram from Herald that starts with each given SIP
method, as a lossy network would. Everything else is relayed both ways. Not Herald code."""

from __future__ import annotations

import select
import socket
import threading


class LossyRelay:
    """`with LossyRelay(("127.0.0.1", sipp_port), drop={"INVITE"}) as relay:` then send to
    relay.port."""

    def __init__(self, target: tuple[str, int], drop: set[str]) -> None:
        self.target = target
        self._to_drop = set(drop)
        self.dropped: list[str] = []
        self.seen: list[str] = []  # the first line of each datagram from Herald
        self._front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._front.bind(("127.0.0.1", 0))
        self._back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._back.bind(("127.0.0.1", 0))
        self.port = int(self._front.getsockname()[1])
        self._client: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._relay, daemon=True)

    def __enter__(self) -> LossyRelay:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._front.close()
        self._back.close()

    def _relay(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._front, self._back], [], [], 0.1)
            for sock in ready:
                data, addr = sock.recvfrom(65535)
                if sock is self._front:
                    self._client = addr
                    self._forward(data)
                elif self._client is not None:
                    self._front.sendto(data, self._client)

    def _forward(self, data: bytes) -> None:
        first_line = data.split(b"\r\n", 1)[0].decode(errors="replace")
        self.seen.append(first_line)
        method = first_line.split(" ", 1)[0]
        if method in self._to_drop:
            self._to_drop.discard(method)
            self.dropped.append(method)
            return
        self._back.sendto(data, self.target)
