"""The simulation loop: arrivals that follow the daily rhythm, an activity at each arrival,
events out in time order (by ``requestReceivedTimestamp``), one cluster or several merged."""

from __future__ import annotations

import heapq
from bisect import bisect
from collections.abc import Callable, Iterator
from datetime import datetime
from random import Random

from auditui.events.simulator import world as world_module
from auditui.events.simulator.clock import BUCKET_SECONDS, BUCKETS_PER_WEEK, HUMAN_SHARE, Rhythm
from auditui.events.simulator.context import Sim
from auditui.events.simulator.people import People
from auditui.events.simulator.policies import Policies
from auditui.events.simulator.rbac import Rbac
from auditui.events.simulator.system import System
from auditui.events.simulator.workloads import Workloads

Activity = Callable[[Sim], None]
# (activity, share of all events in percent, events it emits on average)
Table = list[tuple[Activity, float, float]]


def _system_table(system: System, workloads: Workloads) -> Table:
    return [
        (system.node_lease, 20, 1.0),
        (system.leader_lease, 9, 2.0),
        (system.informer, 11, 1.75),
        (system.kubelet, 11, 1.3),
        (system.endpoints, 4, 1.0),
        (system.app_config, 7, 1.0),
        (system.monitoring, 4, 1.0),
        (system.misconfigured_app, 0.6, 1.0),
        (system.discovery, 1, 1.0),
        (system.scanner, 1.2, 3.0),
        (workloads.churn, 1.2, 5.2),
    ]


def _people_table(people: People, policies: Policies, rbac: Rbac) -> Table:
    return [
        (people.browse, 14.6, 1.13),
        (people.logs, 2, 1.0),
        (people.exec, 0.8, 2.0),
        (people.rollout, 4.5, 13.9),
        (people.config, 1.5, 1.1),
        (people.overreach, 1.2, 1.0),
        (people.impersonate, 0.4, 1.0),
        (people.policy_reads, 2.3, 1.0),
        (policies.change, 2.35, 1.1),
        (rbac.change, 0.3, 1.1),
        (people.debug_node, 0.05, 1.1),
    ]


class Picker:
    """Chooses activities so that each one's share of *events* matches its table entry."""

    def __init__(self, table: Table) -> None:
        self.activities = [activity for activity, _, _ in table]
        slots = [share / per_slot for _, share, per_slot in table]
        self.cumulative: list[float] = []
        total = 0.0
        for weight in slots:
            total += weight
            self.cumulative.append(total)
        self.total = total
        self.events_per_slot = sum(share for _, share, _ in table) / total

    def pick(self, rng: Random) -> Activity:
        return self.activities[bisect(self.cumulative, rng.random() * self.total)]


class ClusterSimulation:
    """One cluster's event stream; its own random stream makes it independent of other clusters."""

    def __init__(
        self, cluster: str, *, start: datetime, days: float, events_per_second: float, seed: int
    ) -> None:
        self.rng = Random(f"{seed}:{cluster}")
        self.duration = days * 86400
        self.world = world_module.build(self.rng, cluster)
        self.sim = Sim(cluster, start, self.duration, self.rng)
        workloads = Workloads(self.world)
        self.system = Picker(_system_table(System(self.world), workloads))
        self.people = Picker(
            _people_table(People(self.world, workloads), Policies(self.world, self.sim), Rbac(self.world))
        )
        self.rhythm = Rhythm(world_module.team_utc_offset(cluster))
        self._plan(events_per_second)

    def _plan(self, events_per_second: float) -> None:
        """Arrival rate and people's share of arrivals for each quarter hour of the week."""
        self.slot_rate: list[float] = []
        self.people_share: list[float] = []
        for bucket in range(BUCKETS_PER_WEEK):
            machinery = (1 - HUMAN_SHARE) / self.system.events_per_slot
            humans = HUMAN_SHARE * self.rhythm.human[bucket] / self.people.events_per_slot
            self.slot_rate.append(events_per_second * (machinery + humans))
            self.people_share.append(humans / (machinery + humans))

    def _arrivals(self) -> Iterator[tuple[float, int]]:
        """Arrival times (with their rhythm bucket) of a Poisson process with piecewise-constant rate."""
        rng, rates = self.rng, self.slot_rate
        if not rates[0] > 0 or self.duration <= 0:
            return
        epoch = self.sim.ts.epoch_seconds(0.0)
        bucket = self.rhythm.bucket(epoch)
        local = epoch + self.rhythm.offset
        t, bucket_end = 0.0, BUCKET_SECONDS - (local % BUCKET_SECONDS)
        while True:
            # Time rescaling: spend one exponential draw across bucket boundaries.
            work = rng.expovariate(1.0)
            while work > rates[bucket] * (bucket_end - t):
                work -= rates[bucket] * (bucket_end - t)
                t, bucket_end = bucket_end, bucket_end + BUCKET_SECONDS
                bucket = (bucket + 1) % BUCKETS_PER_WEEK
                if t >= self.duration:
                    return
            t += work / rates[bucket]
            if t >= self.duration:
                return
            yield t, bucket

    def events(self) -> Iterator[dict]:
        sim, rng, out = self.sim, self.rng, self.sim.out
        system, people, share = self.system, self.people, self.people_share
        for t, bucket in self._arrivals():
            if sim.later and sim.later[0][0] <= t:
                yield from sim.due(t)
            sim.now = t
            picker = people if rng.random() < share[bucket] else system
            picker.pick(rng)(sim)
            if out:
                yield from out
                out.clear()
        yield from sim.due(self.duration)


def simulate_cluster(
    cluster: str, *, start: datetime, days: float, events_per_second: float, seed: int
) -> Iterator[dict]:
    """One cluster's audit events, in time order; the same for a cluster whatever others run."""
    return ClusterSimulation(
        cluster, start=start, days=days, events_per_second=events_per_second, seed=seed
    ).events()


def _labelled(cluster: str, events: Iterator[dict]) -> Iterator[tuple[str, dict]]:
    for event in events:
        yield cluster, event


def _received(pair: tuple[str, dict]) -> str:
    return pair[1]["requestReceivedTimestamp"]


def generate(
    *, clusters: list[str], start: datetime, days: float, events_per_second: float, seed: int
) -> Iterator[tuple[str, dict]]:
    """``(cluster, audit event)`` pairs for ``days`` from ``start``, in time order.

    ``events_per_second`` is per cluster, averaged over a day. The same arguments always give
    the same events (no wall clock, one seeded random stream per cluster). Events are fresh
    dicts: callers may keep or change them.
    """
    streams = [
        _labelled(
            name,
            simulate_cluster(name, start=start, days=days, events_per_second=events_per_second, seed=seed),
        )
        for name in clusters
    ]
    if len(streams) == 1:
        return streams[0]
    # RFC3339 strings with a fixed layout sort like the instants they name.
    return heapq.merge(*streams, key=_received)
