"""Batch beyond one machine: the same map, spread over a Dask cluster.

When one client machine is not enough (the rows need more bandwidth or CPU than one process
has, or the replicas sit behind different networks), partition the rows and run each
partition's ``map`` on a Dask worker.  Each worker keeps ONE ``ClientPool`` per set of sources
for its whole life (connecting is the expensive part), so a thousand partitions cost one
connection per worker, not one per partition.

    from dask.distributed import Client as DaskClient, LocalCluster
    from examples.batch_dask import map_on_dask

    with LocalCluster(n_workers=2) as cluster, DaskClient(cluster) as dask:
        for index, output in map_on_dask(dask, ["http://a:7860", "http://b:7860"], rows,
                                          api_name="/predict", partition_size=500):
            ...

Needs ``pip install "gradio_client[dask]"`` (``distributed``); the core library does not.
As with any Dask code, this module must be importable on the workers (installed, or on
their ``PYTHONPATH``): Dask sends functions by reference.
Rows come back as ``(index, output)`` or ``(index, {"error": {...}})`` in the order the
partitions finish; within a partition, in input order.  Retries of transient failures
happen inside each partition's map, as on one machine.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any


def run_partition(sources: Sequence[str], api_name: str, part: list[tuple[int, Any]],
                  concurrency: int, retries: int) -> dict[str, Any]:
    """Runs on a worker: the partition's rows through that worker's one pool."""
    from dask.distributed import get_worker

    from gradio_client.batch import ClientPool, RowError, run_map

    worker = get_worker()
    pools = getattr(worker, "_gradio_pools", None)
    if pools is None:
        pools = worker._gradio_pools = {}  # type: ignore[attr-defined]
    key = tuple(sources)
    if key not in pools:
        pools[key] = ClientPool(list(sources), verbose=False)
    pool = pools[key]
    indices = [index for index, _ in part]
    results = []
    for position, value in run_map(pool.clients, (row for _, row in part), api_name=api_name,
                                   concurrency=concurrency, retries=retries):
        if isinstance(value, RowError):
            value = {"error": value.as_dict()}
        results.append((indices[position], value))
    return {"worker": worker.address, "pools": len(pools), "rows": results}


def map_on_dask(dask: Any, sources: Sequence[str], rows: Iterable[Any], *, api_name: str,
                partition_size: int = 500, concurrency: int = 4, retries: int = 3,
                max_pending: int = 8, stats: list[dict[str, Any]] | None = None,
                ) -> Iterator[tuple[int, Any]]:
    """Partition ``rows`` and run them on the cluster; at most ``max_pending`` partitions are
    submitted ahead of the results, so the input is streamed here too.  ``stats``, when given,
    collects each partition's worker address and pool count."""
    from dask.distributed import as_completed

    numbered = enumerate(rows)
    pending = as_completed()

    def submit_next() -> bool:
        part = list(itertools.islice(numbered, partition_size))
        if not part:
            return False
        pending.add(dask.submit(run_partition, list(sources), api_name, part, concurrency,
                                retries, pure=False))
        return True

    for _ in range(max_pending):
        if not submit_next():
            break
    for future in pending:
        done = future.result()
        if stats is not None:
            stats.append({"worker": done["worker"], "pools": done["pools"]})
        yield from done["rows"]
        submit_next()
