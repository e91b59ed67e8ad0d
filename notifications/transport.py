"""Getting messages out: SMTP through aiosmtplib, or .eml files in a folder when no server is set.

Settings come from environment variables, a YAML file (GONGKAI_SMTP_CONFIG) or — for the password —
a Prefect Secret block (GONGKAI_SMTP_PASSWORD_BLOCK). The password lives in a `SecretStr` whose
repr and str are '***', and every error message leaving this module is scrubbed of it.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib
import yaml

DEFAULT_OUTBOX = Path("var") / "outbox"
DEFAULT_MAIL_FROM = "gongkai@localhost"
SECURITY_MODES = ("none", "starttls", "ssl")


class SecretStr:
    """A string that does not print: repr/str/format give '***'; `get_secret_value()` gives the text."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


class SettingsError(ValueError):
    """The SMTP settings are incomplete or contradictory (message in Chinese, never with the password)."""


class TransportError(Exception):
    """A send failed. `temporary` says whether trying again may help; `connection` that the server
    itself could not be reached or dropped us (so the other messages would fail the same way)."""

    def __init__(self, message: str, *, temporary: bool = True, connection: bool = False,
                 refused: bool = False):
        super().__init__(message)
        self.temporary = temporary
        self.connection = connection
        # The server refused the recipient address itself (RCPT TO), not the connection or login.
        self.refused = refused


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None
    port: int = 25
    security: str = "none"  # none | starttls | ssl
    username: str | None = None
    password: SecretStr | None = field(default=None, repr=False)
    mail_from: str = DEFAULT_MAIL_FROM
    mail_from_name: str = ""
    timeout: float = 30.0
    outbox_dir: Path = DEFAULT_OUTBOX
    # CA certificates to trust for STARTTLS/SSL besides the system's (a private mail server's CA).
    ca_file: Path | None = None
    # SMTP sessions a delivery run keeps open at once (each reused for message after message): the
    # server's answers to one session's commands are awaited while the others send.
    connections: int = 4

    def __repr__(self) -> str:
        # Only a flag for the password: even '***' would be noise, its presence is what matters.
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"username={self.username!r}, password={'set' if self.password else 'unset'}, "
            f"mail_from={self.mail_from!r}, outbox_dir={str(self.outbox_dir)!r})"
        )

    @property
    def configured(self) -> bool:
        """True when a server is set; otherwise messages go to the .eml outbox folder."""
        return bool(self.host)

    def describe(self) -> str:
        if not self.configured:
            return f"未配置 SMTP 服务器，邮件写入文件夹 {self.outbox_dir}"
        return f"SMTP 服务器 {self.host}:{self.port}（{self.security}）"

    def scrub(self, text: str) -> str:
        """`text` with the password (and its base64 forms, as AUTH PLAIN/LOGIN carry it) removed."""
        if not self.password:
            return text
        import base64

        secret = self.password.get_secret_value()
        forms = {secret, base64.b64encode(secret.encode()).decode()}
        if self.username:
            forms.add(base64.b64encode(f"\0{self.username}\0{secret}".encode()).decode())
        for form in sorted(forms, key=len, reverse=True):
            if form:
                text = text.replace(form, "***")
        return text

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """Settings from GONGKAI_SMTP_* / GONGKAI_MAIL_FROM / GONGKAI_OUTBOX, on top of the YAML
        file named by GONGKAI_SMTP_CONFIG; the password may come from a Prefect Secret block."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        config_path = env.get("GONGKAI_SMTP_CONFIG")
        if config_path:
            values.update(_read_config(Path(config_path)))
        for key, var in (
            ("host", "GONGKAI_SMTP_HOST"),
            ("port", "GONGKAI_SMTP_PORT"),
            ("security", "GONGKAI_SMTP_SECURITY"),
            ("username", "GONGKAI_SMTP_USER"),
            ("password", "GONGKAI_SMTP_PASSWORD"),
            ("mail_from", "GONGKAI_MAIL_FROM"),
            ("timeout", "GONGKAI_SMTP_TIMEOUT"),
            ("outbox_dir", "GONGKAI_OUTBOX"),
            ("ca_file", "GONGKAI_SMTP_CA_FILE"),
            ("connections", "GONGKAI_SMTP_CONNECTIONS"),
        ):
            if env.get(var):
                values[key] = env[var]
        # Precedence: GONGKAI_SMTP_PASSWORD, then a block named in the environment, then the file's
        # password, then a block named in the file.
        file_block = values.pop("password_block", None)
        if not env.get("GONGKAI_SMTP_PASSWORD"):
            block = env.get("GONGKAI_SMTP_PASSWORD_BLOCK") or (None if values.get("password") else file_block)
            if block:
                values["password"] = _password_from_block(str(block))
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SmtpSettings:
        host = (str(values.get("host") or "").strip()) or None
        security = str(values.get("security") or "none").strip().lower()
        if security not in SECURITY_MODES:
            raise SettingsError(f"GONGKAI_SMTP_SECURITY 应为 none、starttls 或 ssl，实际为 {security!r}")
        default_port = {"none": 25, "starttls": 587, "ssl": 465}[security]
        try:
            port = int(values.get("port") or default_port)
            timeout = float(values.get("timeout") or 30.0)
            connections = int(values["connections"]) if values.get("connections") not in (None, "") else 4
        except (TypeError, ValueError) as exc:
            raise SettingsError("SMTP 端口、超时或连接数设置不是数字") from exc
        if not 0 < port < 65536:
            raise SettingsError(f"SMTP 端口 {port} 超出范围")
        if not 0 < connections <= 32:
            raise SettingsError(f"SMTP 连接数 {connections} 应在 1 到 32 之间（GONGKAI_SMTP_CONNECTIONS）")
        password = values.get("password")
        if password is not None and not isinstance(password, SecretStr):
            password = SecretStr(str(password))
        username = (str(values.get("username") or "").strip()) or None
        if password and not username:
            raise SettingsError("设置了 SMTP 密码但没有设置用户名（GONGKAI_SMTP_USER）")
        ca_file = Path(str(values["ca_file"])) if values.get("ca_file") else None
        if ca_file is not None and not ca_file.is_file():
            raise SettingsError(f"找不到 SMTP 的 CA 证书文件 {ca_file}（GONGKAI_SMTP_CA_FILE）")
        name, address = parseaddr(str(values.get("mail_from") or DEFAULT_MAIL_FROM))
        if not address or "@" not in address or re.search(r"[\s<>,]", address):
            raise SettingsError("发件人地址 GONGKAI_MAIL_FROM 格式不正确")
        return cls(
            host=host,
            port=port,
            security=security,
            username=username,
            password=password or None,
            mail_from=address,
            mail_from_name=str(values.get("mail_from_name") or name or ""),
            timeout=timeout,
            outbox_dir=Path(values.get("outbox_dir") or DEFAULT_OUTBOX),
            ca_file=ca_file,
            connections=connections,
        )


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise SettingsError(f"找不到 SMTP 配置文件 {path}") from exc
    except yaml.YAMLError:
        # Not chained: the YAML error quotes the offending line, which may be the password line.
        raise SettingsError(f"SMTP 配置文件 {path} 不是有效的 YAML") from None
    if not isinstance(data, dict):
        raise SettingsError(f"SMTP 配置文件 {path} 的顶层应为键值映射")
    section = data.get("smtp", data)
    if not isinstance(section, dict):
        raise SettingsError(f"SMTP 配置文件 {path} 的 smtp 段应为键值映射")
    aliases = {"user": "username", "from": "mail_from", "outbox": "outbox_dir"}
    return {aliases.get(k, k): v for k, v in section.items()}


def _password_from_block(name: str) -> SecretStr:
    # Imported here: loading Prefect costs seconds and talks to its API; only this path needs it.
    try:
        from prefect.blocks.system import Secret
    except ImportError as exc:  # pragma: no cover - prefect is a dependency
        raise SettingsError("需要 Prefect 才能读取密码 Secret 块") from exc
    try:
        value = Secret.load(name).get()
    except Exception as exc:
        raise SettingsError(f"无法读取 Prefect Secret 块“{name}”：{type(exc).__name__}") from None
    if isinstance(value, dict):  # a JSON secret: {"password": "..."}
        value = value.get("password", "")
    return SecretStr(str(value))


def envelope(message: EmailMessage) -> tuple[str, list[str]]:
    """Envelope sender and recipients of a rendered message (From, To/Cc/Bcc addresses)."""
    sender = parseaddr(str(message.get("From", "")))[1]
    headers = [str(v) for h in ("To", "Cc", "Bcc") for v in message.get_all(h, [])]
    return sender, [addr for _name, addr in getaddresses(headers) if addr]


class Transport(Protocol):
    """What the outbox needs: send one raw message; open/close around a batch. A transport that
    takes several sends at once says how many in an attribute `parallel` (1 when it has none)."""

    def describe(self) -> str: ...

    async def open(self) -> None: ...

    async def send(self, raw: bytes, sender: str, recipients: list[str]) -> None: ...

    async def close(self) -> None: ...


def _classify(exc: BaseException, settings: SmtpSettings) -> TransportError:
    """A TransportError with a Chinese, password-free message and the retry semantics of `exc`."""
    detail = settings.scrub(str(exc) or type(exc).__name__)
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return TransportError(f"SMTP 登录失败（{where}）：用户名或密码不正确（{exc.code} {settings.scrub(exc.message)}），"
                              "请检查 GONGKAI_SMTP_USER 和 GONGKAI_SMTP_PASSWORD",
                              temporary=False, connection=True)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        temporary = all(400 <= c < 500 for c in codes)
        return TransportError(f"SMTP 服务器拒收收件人：{detail}", temporary=temporary, refused=True)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        temporary = 400 <= exc.code < 500
        return TransportError(f"SMTP 服务器拒绝（{where}）：{exc.code} {settings.scrub(exc.message)}",
                              temporary=temporary)
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected
                  | aiosmtplib.SMTPTimeoutError | OSError | asyncio.TimeoutError):
        return TransportError(f"无法连接 SMTP 服务器 {where}：{detail}", temporary=True, connection=True)
    return TransportError(f"SMTP 发送失败（{where}）：{type(exc).__name__}：{detail}", temporary=True)


class SmtpTransport:
    """aiosmtplib. With `reuse_connection` each session carries message after message (one is
    opened when a send finds none free, up to `parallel` = the settings' `connections`; a session
    that fails is closed and the next send opens another); without it every message opens and
    closes its own connection."""

    # Sessions are opened by sends, none at construction: a forked courier can use a copy.
    forkable = True

    def __init__(self, settings: SmtpSettings, *, reuse_connection: bool = True):
        if not settings.configured:
            raise SettingsError("未配置 SMTP 服务器（GONGKAI_SMTP_HOST）")
        self.settings = settings
        self.reuse_connection = reuse_connection
        self.parallel = settings.connections
        self._idle: list[aiosmtplib.SMTP] = []  # open sessions no send is using
        self._open: set[aiosmtplib.SMTP] = set()  # every session opened and not yet closed

    def __repr__(self) -> str:
        return f"SmtpTransport({self.settings!r}, reuse_connection={self.reuse_connection})"

    def describe(self) -> str:
        return self.settings.describe()

    def _new_client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            use_tls=s.security == "ssl",
            # False, not None: None lets aiosmtplib upgrade on its own when the server offers it.
            start_tls=s.security == "starttls",
            username=s.username,
            password=s.password.get_secret_value() if s.password else None,
            timeout=s.timeout,
            cert_bundle=str(s.ca_file) if s.ca_file else None,
        )

    async def open(self) -> None:
        return None  # connect lazily, so a batch with nothing to send never touches the server

    async def _checkout(self) -> aiosmtplib.SMTP:
        """A connected session no other send is using (an idle one, else a new one)."""
        while self._idle:
            client = self._idle.pop()
            if client.is_connected:
                return client
            self._open.discard(client)
            client.close()
        client = self._new_client()
        self._open.add(client)
        await client.connect()
        return client

    async def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        client: aiosmtplib.SMTP | None = None
        try:
            if self.reuse_connection:
                client = await self._checkout()
                await client.sendmail(sender, recipients, raw)
                self._idle.append(client)
            else:
                client = self._new_client()
                async with client:
                    await client.sendmail(sender, recipients, raw)
        except Exception as exc:
            if self.reuse_connection and client is not None:
                await self._quit(client)
            # `from None`: the original exception's args could carry server text with credentials.
            raise _classify(exc, self.settings) from None

    async def _quit(self, client: aiosmtplib.SMTP) -> None:
        self._open.discard(client)
        try:
            await client.quit()
        except Exception:
            client.close()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            await self._quit(client)
        # A session whose send was cancelled (an error stopped the batch) is closed without QUIT.
        stray, self._open = self._open, set()
        for client in stray:
            client.close()


class EmlFolderTransport:
    """Writes each message to `<path>/<date>-<token>.eml`. The file name comes from the Message-ID,
    so sending the same message again replaces the file instead of adding a duplicate."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.written: list[Path] = []

    def __repr__(self) -> str:
        return f"EmlFolderTransport({str(self.path)!r})"

    def describe(self) -> str:
        return f"未配置 SMTP 服务器，邮件写入文件夹 {self.path}"

    async def open(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)

    def file_for(self, raw: bytes) -> Path:
        match = re.search(rb"^Message-ID:\s*<([^>\r\n]+)>", raw, re.IGNORECASE | re.MULTILINE)
        token = match.group(1).decode("ascii", "replace") if match else str(abs(hash(raw)))
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", token.split("@")[0])[:120]
        return self.path / f"{safe}.eml"

    async def send(self, raw: bytes, sender: str, recipients: list[str]) -> None:
        target = self.file_for(raw)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            # Write then rename: a crash never leaves half a message behind under the final name.
            fd, tmp = tempfile.mkstemp(dir=self.path, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
            os.replace(tmp, target)
        except OSError as exc:
            raise TransportError(f"无法写入邮件文件 {target}：{exc.strerror or exc}", temporary=False) from None
        self.written.append(target)

    async def close(self) -> None:
        return None


def make_transport(settings: SmtpSettings, *, reuse_connection: bool = True) -> Transport:
    """SMTP when a host is configured, else the .eml folder (the embedded default)."""
    if settings.configured:
        return SmtpTransport(settings, reuse_connection=reuse_connection)
    return EmlFolderTransport(settings.outbox_dir)


@dataclass
class SendResult:
    message_id: str
    ok: bool
    error: str | None = None


async def send_messages(
    messages: Iterable[EmailMessage], settings: SmtpSettings, reuse_connection: bool = True
) -> list[SendResult]:
    """Send rendered messages straight away (no outbox, no retries): one result per message.

    The outbox (`notifications.outbox`) is the path alerts take; this is the bare transport, used by
    the benchmark and for one-off sends. Without a configured host the messages go to .eml files."""
    transport = make_transport(settings, reuse_connection=reuse_connection)
    results: list[SendResult] = []
    await transport.open()
    try:
        for message in messages:
            sender, recipients = envelope(message)
            message_id = str(message.get("Message-ID", ""))
            try:
                await transport.send(message.as_bytes(policy=SMTP), sender or settings.mail_from, recipients)
            except TransportError as exc:
                results.append(SendResult(message_id, False, str(exc)))
            else:
                results.append(SendResult(message_id, True))
    finally:
        await transport.close()
    return results
