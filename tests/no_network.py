"""The network failing as it does offline, on loopback only: a host name that cannot resolve, and
an HTTP client that counts the requests it sends (or tries to send)."""
from __future__ import annotations

import httpx


def unresolvable(name: str) -> str:
    """A host name that fails to resolve as with no network (socket.gaierror, "Name or service not
    known"), without a packet leaving the machine: a DNS label longer than 63 characters cannot be
    put in a query, so the resolver gives up before asking a nameserver. (A plain name under
    .invalid is sent to the configured nameserver, which is network beyond loopback.) Under .invalid
    all the same, so no resolver could ever find it."""
    return f"{name}-".ljust(64, "x") + ".invalid"


UNRESOLVABLE = unresolvable("huggingface")


class CountingClient(httpx.AsyncClient):
    """An HTTP client that notes every request it sends, or tries to: one that cannot connect too."""

    def __init__(self, **kwargs):
        self.sent: list[httpx.Request] = []
        super().__init__(event_hooks={"request": [self._note]}, **kwargs)

    async def _note(self, request: httpx.Request) -> None:
        self.sent.append(request)
