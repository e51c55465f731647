"""The Dask recipe (examples/batch_dask.py) on a real LocalCluster and a real gradio app."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the [dask] extra is not installed")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "batch_dask.py"


def _load():
    # Dask sends functions by reference: the workers (spawned with this process's sys.path)
    # must be able to import the recipe, as a user's workers must import theirs.
    if str(EXAMPLE.parent) not in sys.path:
        sys.path.insert(0, str(EXAMPLE.parent))
    return importlib.import_module("batch_dask")


def test_rows_partitioned_over_workers_one_pool_each(gradio_app):
    from dask.distributed import Client as DaskClient
    from dask.distributed import LocalCluster

    recipe = _load()
    rows = [(float(i), "add", 0.5) for i in range(120)]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, DaskClient(cluster) as dask:
        stats: list[dict] = []
        got = dict(recipe.map_on_dask(dask, [gradio_app], iter(rows), api_name="/calculator",
                                      partition_size=10, concurrency=4, max_pending=4,
                                      stats=stats))
    assert got == {i: i + 0.5 for i in range(120)}
    assert len(stats) == 12
    # every worker connected once and reused its pool for each later partition
    assert all(s["pools"] == 1 for s in stats)
    assert 1 <= len({s["worker"] for s in stats}) <= 2
