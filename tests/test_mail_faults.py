"""Mail through faults, against a real aiosmtpd server: STARTTLS and implicit TLS with a
certificate made here (trustme), a wrong password, a recipient refused for good, and the password
never leaving the process (logs, errors, the outbox, --json, the run summary and its artifact)."""

from __future__ import annotations

import json
import logging
from email import message_from_bytes
from email.policy import default

import pytest
import trustme
from sqlalchemy import select

from notifications.outbox import send_alerts
from notifications.transport import SmtpSettings
from pipeline.nightly import alert_summary, build_summary
from pipeline.report import render_markdown
from store import outbox as outbox_store
from store.db import open_store
from tests.smtp_server import SmtpTestServer
from tests.test_notifications import AS_OF, EXPECTED_RECIPIENTS, FAST, SECTION, parsed, sample_entries
from tests.test_notifications import registries as registries  # noqa: F401 - fixture
from tests.test_notifications import registry as registry  # noqa: F401 - fixture

PASSWORD = "Zq9-secret-pw-7781"
pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")]


@pytest.fixture
def store(tmp_path):
    s = open_store(str(tmp_path / "gongkai.db"))
    yield s
    s.dispose()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca, tmp_path):
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def server_context(ca: trustme.CA):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def settings_for(server: SmtpTestServer, security: str, **extra) -> SmtpSettings:
    return SmtpSettings.from_mapping({"host": server.host, "port": server.port, "security": security,
                                      "username": "robot", "password": PASSWORD, "timeout": 5,
                                      "mail_from": "长宁区政务公开科 <noreply@cn.gov.test>", **extra})


def all_statuses(store) -> dict[str, str]:
    with store.transaction() as session:
        return {m.recipient: m.status for m in session.scalars(select(outbox_store.OutboxMessage))}


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_delivers_with_a_certificate_made_here(store, registries, ca, ca_file, security):  # noqa: F811
    with SmtpTestServer(auth=("robot", PASSWORD), tls=security, server_context=server_context(ca)) as server:
        report = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF,
                             settings=settings_for(server, security, ca_file=str(ca_file)))
        assert report.delivery.aborted is None and report.delivery.failed == []
        assert set(parsed(server)) == EXPECTED_RECIPIENTS
        # The login went over TLS (the server refuses AUTH in clear text) and was accepted.
        assert server.logins and all(ok for _login, ok in server.logins)
    assert set(all_statuses(store).values()) == {outbox_store.SENT}


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_untrusted_certificate_keeps_the_mail_queued(store, registries, ca, security):  # noqa: F811
    with SmtpTestServer(auth=("robot", PASSWORD), tls=security, server_context=server_context(ca)) as server:
        report = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF,
                             settings=settings_for(server, security))
        assert server.received == [] and server.logins == []
    aborted = report.delivery.aborted
    assert aborted and "\n" not in aborted and "SMTP" in aborted
    assert report.delivery.sent == [] and report.delivery.remaining == len(EXPECTED_RECIPIENTS)
    assert outbox_store.SENT not in all_statuses(store).values()


def test_wrong_password_is_one_line_mail_kept_and_never_shown(store, registries, ca, ca_file, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    wrong = "Wr0ng-pw-" + PASSWORD[::-1]
    with SmtpTestServer(auth=("robot", PASSWORD), tls="starttls", server_context=server_context(ca)) as server:
        bad = settings_for(server, "starttls", ca_file=str(ca_file), password=wrong)
        report = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=bad)
        aborted = report.delivery.aborted
        assert aborted and "\n" not in aborted
        assert "登录失败" in aborted and "GONGKAI_SMTP_PASSWORD" in aborted
        assert server.received == [] and server.logins and not any(ok for _login, ok in server.logins)
        # Kept: every digest is still deliverable, none sent, none given up.
        assert report.delivery.remaining == len(EXPECTED_RECIPIENTS)
        assert set(all_statuses(store).values()) <= {outbox_store.QUEUED, outbox_store.FAILED}

        summary = build_summary(AS_OF, {}, {}, alerts=alert_summary(report, sample_entries()))
        with store.transaction() as session:
            stored = [(m.last_error or "") + repr(m) for m in session.scalars(select(outbox_store.OutboxMessage))]
        shown = [json.dumps(report.to_dict(), ensure_ascii=False), json.dumps(summary, ensure_ascii=False),
                 render_markdown(summary), caplog.text, repr(bad), str(bad.password), *stored]
        for text in shown:
            assert wrong not in text and PASSWORD not in text

        # With the right password the same messages go out, once each.
        right = settings_for(server, "starttls", ca_file=str(ca_file))
        again = send_alerts(store, sample_entries(), registries, FAST, as_of=AS_OF, settings=right)
        assert again.delivery.remaining == 0
        assert sorted(len(v) for v in parsed(server).values()) == [1] * len(EXPECTED_RECIPIENTS)


def test_recipient_refused_for_good_is_given_up_and_reported(store, registries):  # noqa: F811
    policy = {**FAST, "max_refusals": 3}
    with SmtpTestServer() as server:
        server.refuse("jyj@cn.gov.test", "550 5.1.1 Mailbox unavailable")
        settings = SmtpSettings.from_mapping({"host": server.host, "port": server.port, "timeout": 5,
                                              "mail_from": "长宁区政务公开科 <noreply@cn.gov.test>"})
        outcomes = []
        for _run in range(5):
            report = send_alerts(store, sample_entries(), registries, policy, as_of=AS_OF, settings=settings)
            outcomes.append((len(report.delivery.failed), len(report.delivery.rejected)))
        # Tried once per run (a permanent refusal is not retried within the run), given up on the
        # third run, and never tried again after that.
        assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
        with store.transaction() as session:
            refused = session.scalars(select(outbox_store.OutboxMessage).where(
                outbox_store.OutboxMessage.recipient == "jyj@cn.gov.test")).all()
        assert [(m.status, m.refusals, m.attempts) for m in refused] == [(outbox_store.REJECTED, 3, 3)]
        assert refused[0].reported_at is not None
        # The 政务公开科 heard about it exactly once, in Chinese, naming the office and the address.
        notes = [m for m in parsed(server).get(SECTION, []) if "被拒收" in str(m["Subject"])]
        assert len(notes) == 1
        body = notes[0].get_content()
        assert "区教育局" in body and "jyj@cn.gov.test" in body and "550" in body and "3 次" in body
        assert "jyj@cn.gov.test" not in parsed(server)
        # The other offices were told once each.
        assert all(len(v) == 1 for k, v in parsed(server).items() if k != SECTION)


def test_temporary_refusals_never_give_up(store, registries):  # noqa: F811
    policy = {**FAST, "max_refusals": 1, "max_send_attempts": 1}
    with SmtpTestServer() as server:
        server.refuse("jyj@cn.gov.test", "451 4.3.0 Try again later")
        settings = SmtpSettings.from_mapping({"host": server.host, "port": server.port, "timeout": 5})
        for _run in range(2):
            send_alerts(store, sample_entries(), registries, policy, as_of=AS_OF, settings=settings)
        assert all_statuses(store)["jyj@cn.gov.test"] == outbox_store.FAILED
        server.handler.refuse.clear()
        report = send_alerts(store, sample_entries(), registries, policy, as_of=AS_OF, settings=settings)
        assert len(report.delivery.sent) == 1
        (received,) = [r for r in server.received if "jyj@cn.gov.test" in r.rcpt_tos]
        assert message_from_bytes(received.data, policy=default)["To"].addresses[0].addr_spec == "jyj@cn.gov.test"
