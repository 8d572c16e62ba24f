"""The shape of the house, checked: the import contract holds, everything that plugs in is plugged in by
the composition root (``herald.wiring``), and no room grows past its size."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import herald
from herald import wiring
from herald.extension import all_points
from herald.jobs.job_lane import handled_kind
from herald.jobs.lanes import Lane
from herald.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 500


def _every_module() -> list[Any]:
    modules = []
    for info in pkgutil.walk_packages(herald.__path__, "herald."):
        if info.name.startswith("herald.migrations.") and info.name != "herald.migrations.tables":
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def test_the_import_contract_holds() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_lane_in_the_code_is_one_the_worker_runs() -> None:
    lanes = {
        obj
        for module in _every_module()
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, Lane) and obj is not Lane and not inspect.isabstract(obj)
    }
    assert lanes, "no lane found: the walk is broken"
    run = {type(lane) for lane in wiring.lanes(Settings())}
    assert lanes <= run, f"lanes no worker runs: {lanes - run}"


def test_every_marked_job_handler_is_registered_at_the_composition_root() -> None:
    marked = {
        (kind, obj)
        for module in _every_module()
        for _, obj in inspect.getmembers(module, callable)
        if (kind := handled_kind(obj)) is not None
    }
    for kind, handler in marked:
        assert wiring.JOB_HANDLERS.get(kind) is handler, f"{kind!r} has a handler nothing registers"


def test_every_extension_point_is_filled_and_sealed() -> None:
    _every_module()
    wiring.wire()
    for point in all_points():
        assert point.sealed, point.name
        assert point.keys(), f"{point.name} is empty"


def test_each_lane_has_a_concurrency_setting_of_its_own() -> None:
    knobs = [name for name in Settings.model_fields if name.endswith("_concurrency")]
    base = {lane.name: lane.concurrency for lane in wiring.lanes(Settings())}
    owners: dict[str, list[str]] = {name: [] for name in base}
    for knob in knobs:
        changed = {
            lane.name: lane.concurrency
            for lane in wiring.lanes(Settings(**{knob: Settings.model_fields[knob].default + 7}))
        }
        moved = [name for name in base if changed[name] != base[name]]
        assert len(moved) <= 1, f"{knob} changes several lanes: {moved}"
        for name in moved:
            owners[name].append(knob)
    assert all(len(found) == 1 for found in owners.values()), owners


def test_the_native_api_documents_exactly_the_registered_webhook_dialects() -> None:
    from herald.api.native.webhooks.schemas import WebhookDialect
    from herald.webhooks.shapes import shapes

    wiring.wire()
    assert set(get_args(WebhookDialect)) == set(shapes.keys())


def test_no_module_is_over_five_hundred_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for folder in ("src", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, long
