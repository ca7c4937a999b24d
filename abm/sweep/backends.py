"""Backends: one seam, a `concurrent.futures.Executor`, with how many tasks it runs at once.

In this process when workers=1 (debuggable, nothing pickled); local processes started with
`spawn` by default; a Dask distributed cluster given its scheduler's address; or any executor
passed in. A broken process pool is replaced; Dask retries tasks of lost workers itself.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
from collections.abc import Callable
from typing import Any

from abm.economy.parameters import ParameterError
from abm.sweep.store import package_version

DASK_RETRIES = 2  # Dask's own retries of a task whose worker died
DASK_WAIT_SECONDS = 60  # for a cluster's first worker to join


class InlineExecutor(cf.Executor):
    """Runs each task at once in this process: debuggable, and no pickling."""

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future


def start_worker() -> None:
    """Set up a local worker process before its first task.

    Ctrl-C is left to the driver, which shuts the workers down. The model is imported, and the
    native libraries it loads (OpenBLAS, through numpy and scipy) are limited to one thread
    each: a worker is meant to use one core, and OpenBLAS keeps a thread per core that would
    compete with the other workers for the cores. (Dask's nanny sets the same limits for its
    workers.)
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from threadpoolctl import threadpool_limits

    import abm.economy.model  # noqa: F401  (loads numpy, scipy and their OpenBLAS)

    threadpool_limits(limits=1)


class Backend:
    """An executor, how many tasks it runs at once, and how to replace it if it breaks."""

    name = "executor"

    def __init__(self, executor: cf.Executor, slots: int) -> None:
        self.executor = executor
        self.slots = slots

    def submit(self, fn: Callable, *args: Any) -> cf.Future:
        return self.executor.submit(fn, *args)

    def restart(self) -> bool:
        """Replace a broken executor; False if this backend cannot."""
        return False

    def close(self, cancel: bool = False) -> None:
        """Shut down what this backend started (an executor passed in is left to its owner)."""


class InlineBackend(Backend):
    name = "in-process"

    def __init__(self) -> None:
        super().__init__(InlineExecutor(), 1)


class ProcessBackend(Backend):
    """Local worker processes, started with `spawn` (safe on every platform and in notebooks)."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        super().__init__(self.pool(workers), workers)

    @staticmethod
    def pool(workers: int) -> cf.ProcessPoolExecutor:
        """Spawned worker processes, each set up by `start_worker`."""
        import multiprocessing

        return cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
        )

    def restart(self) -> bool:
        self.close(cancel=True)
        self.executor = self.pool(self.slots)
        return True

    def close(self, cancel: bool = False) -> None:
        pool = self.executor
        if cancel:
            pool.shutdown(wait=False, cancel_futures=True)
            terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
            if terminate is not None:
                terminate()
            else:
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.terminate()
        pool.shutdown(wait=True)


class DaskBackend(Backend):
    """An existing Dask distributed cluster, reached through its scheduler's address."""

    name = "dask"

    def __init__(self, address: str) -> None:
        from distributed import Client

        try:
            self.client = Client(address)
        except OSError as err:
            raise ParameterError(f"cannot reach the Dask scheduler at {address}: {err}") from None
        try:
            self.client.wait_for_workers(1, timeout=DASK_WAIT_SECONDS)
            self._check_workers()
        except BaseException:
            self.client.close()
            raise
        executor = self.client.get_executor(pure=False, retries=DASK_RETRIES)
        super().__init__(executor, max(sum(self.client.nthreads().values()), 1))
        self.name = f"dask {address}"

    def _check_workers(self) -> None:
        """The workers must run the same package version, or results would differ silently."""
        here = package_version()
        try:
            theirs = self.client.run(package_version)
        except Exception as err:
            raise ParameterError(f"the Dask workers cannot import abm: {err}") from None
        wrong = {w: v for w, v in theirs.items() if v != here}
        if wrong:
            raise ParameterError(f"Dask workers run another abm version than {here}: {wrong}")

    def close(self, cancel: bool = False) -> None:
        self.executor.shutdown(wait=not cancel)
        self.client.close()


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def make_backend(
    workers: int | None, scheduler: str | None, executor: cf.Executor | None
) -> Backend:
    if scheduler is not None and executor is not None:
        raise ParameterError("give a scheduler address or an executor, not both")
    if executor is not None:
        return Backend(executor, workers or default_workers())
    if scheduler is not None:
        if workers is not None:
            raise ParameterError("--workers is for local runs: a Dask cluster has its own workers")
        return DaskBackend(scheduler)
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ParameterError(f"--workers={workers} must be at least 1")
    return InlineBackend() if workers == 1 else ProcessBackend(workers)
