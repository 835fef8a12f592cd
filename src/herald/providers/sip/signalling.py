"""The SIP user agent over one trunk, on aiosipua: it tells each call of every response to
its INVITE (aiosipua reports only ringing, answer and rejection), acknowledges final
failures (RFC 3261 17.1.1.3: the ACK of a non-2xx answer, which aiosipua leaves to us),
passes the callee's BYE on, and over UDP retransmits what it sends until answered
(aiosipua has no client transaction timers): INVITE on Timer A until any answer, giving
up at Timer B (17.1.1.2); BYE and CANCEL on Timer E until a final answer, giving up at
Timer F (17.1.2.2)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiosipua import Dialog, IncomingCall, OutgoingCall, SipRequest, SipResponse, SipUAC, SipUAS
from aiosipua.transport import SipTransport, TcpSipTransport, UdpSipTransport, _UdpProtocol

ResponseHook = Callable[[SipResponse], None]
GaveUpHook = Callable[[], None]

T1 = 0.5  # RFC 3261 17.1.1.1: the round-trip estimate, doubled at each retransmission
T2_IN_T1 = 8  # T2 = 4 s = 8*T1: the longest interval between retransmissions of a non-INVITE


class TrunkAgent(SipUAC):
    def __init__(self, transport: SipTransport, t1: float = T1) -> None:
        super().__init__(transport)
        self.t1 = t1
        self.hooks: dict[str, ResponseHook] = {}  # by Call-ID
        # Told when Timer B fires: the INVITE got no answer at all (by Call-ID).
        self.gave_up: dict[str, GaveUpHook] = {}
        # Requests still retransmitted, by (Call-ID, method, CSeq number): the event that
        # stops them (an answer came).
        self._unanswered: dict[tuple[str, str, int], asyncio.Event] = {}
        self._timers: set[asyncio.Task[None]] = set()
        # aiosipua forgets a call when it sends CANCEL; its 487 must still be ACKed.
        self._cancelled: dict[str, OutgoingCall] = {}
        # Final answers awaited to a request that is no INVITE, by (Call-ID, method).
        self._waiting: dict[tuple[str, str], asyncio.Future[int]] = {}

    async def final_answer(self, call_id: str, method: str, timeout: float) -> int | None:
        """The status of the final answer to our `method` request in call `call_id`, None
        when none comes in time. Ask before sending the request."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting[(call_id, method)] = future
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            self._waiting.pop((call_id, method), None)

    def send_invite(self, *args: Any, **kwargs: Any) -> OutgoingCall:
        call = super().send_invite(*args, **kwargs)
        self._keep_sending(call.invite, call.remote_addr)
        return call

    def send_cancel(self, call: OutgoingCall) -> SipRequest:
        self._cancelled[call.call_id] = call
        cancel = super().send_cancel(call)
        self._keep_sending(cancel, call.remote_addr)
        return cancel

    def send_bye(self, dialog: Dialog, remote_addr: tuple[str, int]) -> SipRequest:
        bye = super().send_bye(dialog, remote_addr)
        self._keep_sending(bye, remote_addr)
        return bye

    def _keep_sending(self, request: SipRequest, addr: tuple[str, int]) -> None:
        """Over UDP only: TCP is reliable, and RFC 3261 17.1.1.2 sets Timer A only for an
        unreliable transport."""
        if not isinstance(self.transport, UdpSipTransport):
            return
        key = _key(request.call_id or "", request.cseq)
        if key is None or key in self._unanswered:
            return
        answered = asyncio.Event()
        self._unanswered[key] = answered
        task = asyncio.get_running_loop().create_task(self._retransmit(request, addr, key))
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    async def _retransmit(
        self, request: SipRequest, addr: tuple[str, int], key: tuple[str, str, int]
    ) -> None:
        answered = self._unanswered[key]
        is_invite = key[1] == "INVITE"
        interval, waited, limit = self.t1, 0.0, 64 * self.t1  # Timer B / Timer F
        try:
            while waited < limit:
                wait = min(interval, limit - waited)
                try:
                    await asyncio.wait_for(answered.wait(), wait)
                    return
                except TimeoutError:
                    waited += wait
                if waited >= limit:
                    break
                self.transport.send(request, addr)
                interval *= 2
                if not is_invite:
                    interval = min(interval, T2_IN_T1 * self.t1)
            if is_invite:
                hook = self.gave_up.get(key[0])
                if hook is not None:
                    hook()
        finally:
            self._unanswered.pop(key, None)

    def stop_timers(self) -> None:
        for task in list(self._timers):
            task.cancel()

    def remove_call(self, call_id: str) -> None:
        self._cancelled.pop(call_id, None)
        # The call is over: its INVITE needs no more sending (a BYE or CANCEL still goes
        # until answered).
        for key, answered in list(self._unanswered.items()):
            if key[0] == call_id and key[1] == "INVITE":
                answered.set()
        super().remove_call(call_id)

    def handle_response(self, response: SipResponse, addr: tuple[str, int]) -> None:
        call_id = response.call_id or ""
        cseq = response.cseq
        key = _key(call_id, cseq)
        answered = self._unanswered.get(key) if key is not None else None
        # Any answer ends an INVITE's retransmission (17.1.1.2: Proceeding); only a final
        # one ends a BYE's or CANCEL's (17.1.2.2; we keep its interval after a provisional).
        final = response.status_code >= 200
        if key is not None and answered is not None and (key[1] == "INVITE" or final):
            answered.set()
        is_invite = cseq is not None and cseq.method.upper() == "INVITE"
        call = self.get_call(call_id) or self._cancelled.get(call_id)
        if is_invite and call is not None and response.status_code >= 300:
            self.transport.send(failure_ack(call.invite, response), call.remote_addr)
        hook = self.hooks.get(call_id)
        waiting = self._waiting.get((call_id, cseq.method.upper() if cseq else ""))
        if waiting is not None and response.status_code >= 200 and not waiting.done():
            waiting.set_result(response.status_code)
        super().handle_response(response, addr)
        again = self.get_call(call_id)
        if is_invite and again is not None and _key(call_id, again.invite.cseq) != key:
            self._keep_sending(again.invite, again.remote_addr)  # re-sent with credentials
        if is_invite and hook is not None:
            hook(response)


def _key(call_id: str, cseq: Any) -> tuple[str, str, int] | None:
    if cseq is None:
        return None
    return (call_id, str(cseq.method).upper(), int(cseq.seq))


def failure_ack(invite: SipRequest, response: SipResponse) -> SipRequest:
    """The ACK of a 3xx-6xx answer: part of the INVITE transaction, so the INVITE's Via
    (same branch), From, Call-ID and Request-URI, the answer's To (with its tag)."""
    ack = SipRequest(method="ACK", uri=invite.uri)
    for name in ("Via", "From", "Call-ID"):
        value = invite.headers.get_first(name)
        if value is None:
            raise ValueError(f"INVITE without {name}")
        ack.headers.set_single(name, value)
    to = response.headers.get_first("To")
    if to is None:
        raise ValueError("answer without To")
    ack.headers.set_single("To", to)
    cseq = invite.cseq
    ack.headers.set_single("CSeq", f"{cseq.seq if cseq else 1} ACK")
    ack.headers.set_single("Max-Forwards", "70")
    ack.headers.set_single("Content-Length", "0")
    return ack


class _Datagrams(_UdpProtocol):
    # aiosipua asserts an isinstance that CPython 3.11's selector transport fails
    # (it is no DatagramTransport subclass there); start() stores the transport anyway.
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        pass


class _Udp(UdpSipTransport):
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self), local_addr=self.local_addr
        )
        self._udp_transport = transport


class _Tcp(TcpSipTransport):
    # aiosipua writes "SIP/2.0/UDP" in the Via of every request it builds; over TCP the Via
    # must name TCP (RFC 3261 18.1.1), or a strict trunk answers over UDP or refuses.
    def send(self, message: SipRequest | SipResponse, addr: tuple[str, int]) -> None:
        if isinstance(message, SipRequest):
            vias = message.headers.get("Via")
            if vias and vias[0].startswith("SIP/2.0/UDP "):
                top = "SIP/2.0/TCP " + vias[0][len("SIP/2.0/UDP ") :]
                message.headers.set_single("Via", top)
                for via in vias[1:]:
                    message.headers.append("Via", via)
        super().send(message, addr)


def transport_for(kind: str, local: tuple[str, int]) -> SipTransport:
    if kind == "tcp":
        return _Tcp(local_addr=local)
    return _Udp(local_addr=local)


ByeHook = Callable[[str], None]


def user_agent(
    transport: SipTransport, on_bye: ByeHook, t1: float = T1
) -> tuple[SipUAS, TrunkAgent]:
    """The UAS half answers in-dialog requests (the callee's BYE, OPTIONS); the UAC half is
    ours. aiosipua answers a BYE with 200 itself."""
    uac = TrunkAgent(transport, t1)
    uas = SipUAS(transport, uac=uac)

    def bye(call: IncomingCall, request: SipRequest) -> None:
        on_bye(request.call_id or "")

    uas.on_bye = bye
    return uas, uac
