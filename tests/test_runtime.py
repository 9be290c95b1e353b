"""The process settings that web and Celery workers apply at start."""

from __future__ import annotations

import gc

import pytest

from auditui import runtime


@pytest.fixture
def restored_gc():
    saved = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*saved)


def test_it_freezes_startup_objects_and_collects_young_ones_less_often(restored_gc):
    gc.set_threshold(700, 10, 10)
    runtime.tune_gc()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (runtime.GEN0_THRESHOLD, 10, 10)


def test_it_tunes_the_web_application_when_gunicorn_loads_it(restored_gc):
    import importlib

    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    import auditui.wsgi

    importlib.reload(auditui.wsgi)
    assert gc.get_threshold()[0] == runtime.GEN0_THRESHOLD and gc.get_freeze_count() > 0


def test_it_tunes_each_celery_worker_process(restored_gc):
    from celery.signals import worker_process_init

    import auditui.celery  # noqa: F401 - connects the handler

    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    worker_process_init.send(sender=None)
    assert gc.get_threshold()[0] == runtime.GEN0_THRESHOLD and gc.get_freeze_count() > 0
