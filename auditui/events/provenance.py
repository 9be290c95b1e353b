"""How an event came in: the ``source`` every way in gives the Ingestor, stored with each event.

One text per way in, ``<way>:<who or what>``, so that ``source = "upload:*"`` finds every upload
and ``source = "webhook:token-3/*"`` one token's events. Events stored before provenance was
kept have an empty source.
"""

from __future__ import annotations

import getpass
import os
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditui.access.models import IngestToken
    from auditui.events.models import IngestJob, PullSource

DEMO = "demo"
SIMULATOR = "simulator"
# auditui's own audit trail (auditui.events.trail), written by auditui itself.
TRAIL = "auditui:trail"


def webhook(token: IngestToken) -> str:
    """The ingest token's id and its public prefix (what the admin lists), never the secret."""
    return f"webhook:token-{token.pk}/{token.prefix}"


def upload(job: IngestJob) -> str:
    user = job.created_by.get_username() if job.created_by is not None else "-"
    return f"upload:job-{job.pk}/{user}"


def pull(source: PullSource) -> str:
    return f"pull:{source.name}"


def command_line(path: str) -> str:
    """``manage.py ingest``: the operating-system user and host that ran it, and what it read."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. an arbitrary uid in a container)
        user = str(os.getuid())
    where = "stdin" if path == "-" else os.path.abspath(path)
    return f"cli:{user}@{socket.gethostname()}:{where}"


def demo(what: str) -> str:
    return f"{DEMO}:{what}"
