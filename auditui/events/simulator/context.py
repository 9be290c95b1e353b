"""One cluster's simulation state and the audit-event builder every activity uses."""

from __future__ import annotations

import heapq
from datetime import datetime
from random import Random

from auditui.events.simulator.actors import Actor
from auditui.events.simulator.clock import Timestamps
from auditui.events.simulator.ids import uuid4
from auditui.events.simulator.objects import clone

METADATA = "Metadata"
REQUEST = "Request"
REQUEST_RESPONSE = "RequestResponse"
COMPLETE = "ResponseComplete"
STARTED = "ResponseStarted"
RECEIVED = "RequestReceived"
# Share of write requests whose RequestReceived stage the audit policy keeps as well.
RECEIVED_STAGE_SHARE = 0.1
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


class Sim:
    """Everything one cluster's activities share: randomness, time, resource versions, output.

    Activities run at the current time ``now``; what they emit for ``now`` goes straight out,
    what they emit for later (the rest of a rollout, the end of a watch) waits in a heap.
    """

    def __init__(self, cluster: str, start: datetime, duration: float, rng: Random) -> None:
        self.cluster = cluster
        self.rng = rng
        self.ts = Timestamps(start)
        self.end = duration
        self.now = 0.0
        self.out: list[dict] = []
        self.later: list[tuple[float, int, dict]] = []  # a heap of (time, sequence, event)
        self._seq = 0
        # etcd's revision: every write in the cluster moves it on, so objects see gaps.
        self._revision = rng.randrange(20_000_000, 90_000_000)

    # --- output ------------------------------------------------------------------------

    def emit(self, t: float, event: dict) -> None:
        """Queue an event whose request arrived at ``t`` (>= now); events past the end are cut."""
        if t <= self.now:
            self.out.append(event)
        elif t < self.end:
            self._seq += 1
            heapq.heappush(self.later, (t, self._seq, event))

    def due(self, until: float) -> list[dict]:
        """Events queued for ``until`` or earlier, in time order."""
        ready = []
        later = self.later
        while later and later[0][0] <= until:
            ready.append(heapq.heappop(later)[2])
        return ready

    # --- identity ----------------------------------------------------------------------

    def uid(self) -> str:
        return uuid4(self.rng)

    def revision(self) -> str:
        self._revision += 1 + int(self.rng.random() * 40)
        return str(self._revision)

    # --- events ------------------------------------------------------------------------

    def event(
        self,
        t: float,
        actor: Actor,
        verb: str,
        uri: str,
        ref: dict | None,
        code: int = 200,
        *,
        level: str = METADATA,
        latency: float = 0.004,
        stage: str = COMPLETE,
        status: dict | None = None,
        request: object = None,
        response: object = None,
        as_user: dict | None = None,
    ) -> dict:
        """One audit event, fields in the order the API server writes them."""
        micro = self.ts.micro
        event = {
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "level": level,
            "auditID": uuid4(self.rng),
            "stage": stage,
            "requestURI": uri,
            "verb": verb,
            "user": actor.user(),
        }
        if as_user is not None:
            event["impersonatedUser"] = as_user
        event["sourceIPs"] = list(actor.ips)
        event["userAgent"] = actor.agent
        if ref is not None:
            event["objectRef"] = ref
        event["responseStatus"] = status if status is not None else {"metadata": {}, "code": code}
        if request is not None:
            event["requestObject"] = request
        if response is not None:
            event["responseObject"] = response
        event["requestReceivedTimestamp"] = micro(t)
        event["stageTimestamp"] = micro(t + latency)
        if code != 401:
            allowed = code != 403
            event["annotations"] = {
                "authorization.k8s.io/decision": "allow" if allowed else "forbid",
                "authorization.k8s.io/reason": actor.reason if allowed else "",
            }
        return event

    def write(self, t: float, event: dict) -> None:
        """Emit a write request, sometimes preceded by its RequestReceived stage."""
        if self.rng.random() < RECEIVED_STAGE_SHARE:
            self.emit(t, received_stage(event))
        self.emit(t, event)

    def stream(self, t: float, started: dict, duration: float) -> None:
        """A long-running request (watch, exec): ResponseStarted now, ResponseComplete when it
        ends, unless that is after the simulated window (then it is still open)."""
        self.emit(t, started)
        if t + duration < self.end:
            self.emit(t, completed(started, self.ts.micro(t + duration)))

    def latency(self, verb: str) -> float:
        """Seconds between request and response: reads are quick, lists and writes less so."""
        r = self.rng.random()
        if verb == "get":
            return 0.0008 + 0.006 * r * r
        if verb == "list":
            return 0.003 + 0.12 * r * r * r
        return 0.004 + 0.04 * r * r


def completed(event: dict, stage_timestamp: str) -> dict:
    """The ResponseComplete stage of a streamed request, sharing nothing mutable with it."""
    done = dict(event)
    done["stage"] = COMPLETE
    done["user"] = dict(event["user"], groups=list(event["user"]["groups"]))
    done["sourceIPs"] = list(event["sourceIPs"])
    for key in ("objectRef", "annotations"):
        if key in event:
            done[key] = dict(event[key])
    done["responseStatus"] = clone(event["responseStatus"])
    done["stageTimestamp"] = stage_timestamp
    return done


def received_stage(event: dict) -> dict:
    """The RequestReceived event of a request: same ID, no response, not yet authorized."""
    first = {
        k: v
        for k, v in event.items()
        if k not in ("responseStatus", "responseObject", "annotations", "stageTimestamp")
    }
    first["stage"] = RECEIVED
    first["user"] = dict(event["user"], groups=list(event["user"]["groups"]))
    if "requestObject" in first:
        first["requestObject"] = clone(first["requestObject"])
    if "objectRef" in first:
        first["objectRef"] = dict(first["objectRef"])
    first["stageTimestamp"] = event["requestReceivedTimestamp"]
    return first
