"""Email over SMTP: implicit TLS (465, preferred) or STARTTLS (587, refused if not advertised).

Connection: ``host``, ``port``, ``login``, ``password`` (the 授权码 when 安全登录 is on),
``extra.security`` = ``ssl`` | ``starttls`` (default: ``ssl`` on 465, else ``starttls``),
``extra.from`` (default: the login: many servers reject a From that differs from the account),
``extra.ca_file`` for an intranet CA. Certificates are always verified.

Subject and display names are RFC 2047 encoded-words, the body UTF-8 (plain text + HTML), with
``Date`` and a deterministic ``Message-ID`` (``<batch id@yuqing-watch>``) so a mail client can
recognise a duplicate. A report's files (``facts.attachments``: PDF, DOCX) go as attachments.
"""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from alerts import messages
from alerts.channels.base import Channel, Message, Outcome, SendResult, register

ATTACHMENT_TYPES = {
    ".pdf": ("application", "pdf"),
    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


def attachments(message: Message) -> list[Path]:
    """The report files a message carries (``facts.attachments``): only files that exist."""
    paths = [Path(p) for f in message.items for p in (f.get("attachments") or [])]
    return [p for p in dict.fromkeys(paths) if p.is_file()]


@register
class EmailChannel(Channel):
    type = "email"

    def build(self, message: Message) -> EmailMessage:
        sender = str(self.conn.extra.get("from") or self.conn.login or "")
        msg = EmailMessage()
        msg["Subject"] = messages.title(message.items)
        msg["From"] = Address("舆情监测系统", addr_spec=sender)
        msg["To"] = [Address(c.name, addr_spec=c.email) for c in message.contacts if c.email]
        msg["Date"] = format_datetime(message.now)
        msg["Message-ID"] = f"<{message.batch_id}@yuqing-watch>"
        msg.set_content(messages.text(message.items, limit=100_000), charset="utf-8")
        msg.add_alternative(messages.email_html(message.items), subtype="html", charset="utf-8")
        for path in attachments(message):
            kind = ATTACHMENT_TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
            msg.add_attachment(path.read_bytes(), maintype=kind[0], subtype=kind[1], filename=path.name)
        return msg

    def send(self, message: Message) -> SendResult:
        recipients = [c.email for c in message.contacts if c.email]
        if not recipients:
            return SendResult("permanent", {}, "no email address")
        port = self.conn.port or 465
        security = str(self.conn.extra.get("security") or ("ssl" if port == 465 else "starttls"))
        ca_file = self.conn.extra.get("ca_file")
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        sender = str(self.conn.extra.get("from") or self.conn.login or "")
        msg = self.build(message)
        host = self.conn.host or "localhost"
        try:
            smtp: smtplib.SMTP
            if security == "ssl":
                smtp = smtplib.SMTP_SSL(host, port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(host, port, timeout=self.timeout)
            with smtp:
                if security == "starttls":
                    smtp.ehlo()
                    if not smtp.has_extn("starttls"):
                        return SendResult("permanent", {}, "server does not offer STARTTLS")
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if self.conn.login:
                    smtp.login(self.conn.login, self.conn.password or "")
                refused = smtp.send_message(msg, from_addr=sender, to_addrs=recipients)
        except smtplib.SMTPAuthenticationError as exc:
            return SendResult("permanent", {"smtp_code": exc.smtp_code}, "authentication failed")
        except smtplib.SMTPRecipientsRefused as exc:
            return SendResult("permanent", {"refused": len(exc.recipients)}, "all recipients refused")
        except smtplib.SMTPResponseException as exc:
            outcome: Outcome = "retryable" if 400 <= exc.smtp_code < 500 else "permanent"
            return SendResult(outcome, {"smtp_code": exc.smtp_code}, f"SMTP {exc.smtp_code}")
        except ssl.SSLError as exc:
            return SendResult("permanent", {}, f"TLS failed: {type(exc).__name__}")
        except (OSError, smtplib.SMTPException) as exc:
            return SendResult("retryable", {}, f"SMTP error: {type(exc).__name__}")
        answer = {"accepted": len(recipients) - len(refused), "refused": sorted(refused)}
        return SendResult("delivered", answer)
