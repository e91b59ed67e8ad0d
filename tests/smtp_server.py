"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 and a free port, collecting what it receives.

`stop()` then `start()` simulates the server going down and coming back on the same port.
`refuse` makes it answer RCPT TO for chosen addresses with an error code (550 permanent, 451
temporary); `auth` makes it require a login (AUTH PLAIN/LOGIN without TLS, for tests only).
`tls="starttls"` or `tls="ssl"` with a server certificate (`server_context`, e.g. from trustme)
makes it a TLS server: STARTTLS required before anything else, or TLS from the first byte; a
login then is only accepted over TLS.
"""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    def message(self) -> EmailMessage:
        # policy=default decodes RFC 2047 headers and gives EmailMessage objects.
        return message_from_bytes(self.data, policy=default)  # type: ignore[return-value]


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address → "550 ..." reply
    refuse_times: dict[str, int] = field(default_factory=dict)  # address → how many more times
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        with self.lock:
            reply = self.refuse.get(address)
            if reply and address in self.refuse_times:
                self.refuse_times[address] -= 1
                if self.refuse_times[address] <= 0:
                    del self.refuse[address]
                    del self.refuse_times[address]
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"


class SmtpTestServer:
    def __init__(self, port: int | None = None, *, auth: tuple[str, str] | None = None,
                 tls: str | None = None, server_context: ssl.SSLContext | None = None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.handler = _Handler()
        self.auth = auth
        if tls not in (None, "starttls", "ssl") or (tls and server_context is None):
            raise ValueError("tls must be 'starttls' or 'ssl' and comes with a server_context")
        self.tls = tls
        self.server_context = server_context
        self.logins: list[tuple[str, bool]] = []  # (login, accepted)
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def running(self) -> bool:
        return self._controller is not None

    def _authenticator(self, server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        ok = (
            self.auth is not None
            and isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.auth[0]
            and auth_data.password.decode() == self.auth[1]
        )
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpTestServer:
        if self._controller is None:
            kwargs: dict = {}
            if self.auth is not None:
                # With implicit TLS aiosmtpd does not know its transport is encrypted and would
                # hide AUTH: the whole session is TLS there, so do not ask for STARTTLS first.
                kwargs = {"authenticator": self._authenticator, "auth_required": True,
                          "auth_require_tls": self.tls == "starttls"}
            if self.tls == "starttls":
                kwargs.update(tls_context=self.server_context, require_starttls=True)
            elif self.tls == "ssl":
                kwargs.update(ssl_context=self.server_context)
            controller = Controller(self.handler, hostname=self.host, port=self.port, **kwargs)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user", times: int | None = None) -> None:
        with self.handler.lock:
            self.handler.refuse[address] = reply
            if times is not None:
                self.handler.refuse_times[address] = times

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
