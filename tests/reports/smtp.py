"""The SMTP server fixture of the reports tests (``tests/smtp.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.smtp import SmtpServer, running_smtp_server


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    yield from running_smtp_server(settings)
