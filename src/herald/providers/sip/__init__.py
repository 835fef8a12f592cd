"""Real calls over a SIP trunk: a voice provider behind the port of voice_base.py.

Signalling (RFC 3261 over UDP or TCP: INVITE, digest auth, CANCEL, ACK, BYE) uses the
aiosipua library; media (RTP with G.711 and RFC 4733 telephone-events), the agent's speech
(espeak-ng) and the call's course are ours."""
