"""The world of processes: init, rank, world_size, is_main, barrier, and stopping them all on an error.

MPI is the transport (through ``mpi4py``, the ``mpi`` extra). A process started without
``mpiexec``, or without ``mpi4py`` installed, is a world of one: rank 0 of 1, where every
collective returns its input, so a script that trains with ``distributed=True`` also runs alone.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections.abc import Iterator
from typing import Any

__all__ = [
    "init",
    "is_initialized",
    "rank",
    "world_size",
    "is_main",
    "barrier",
    "communicator",
    "stop_all_on_error",
]

# MPI_COMM_WORLD once init() has run in a world of more than one process, else None.
_comm: Any = None
_initialized = False

_GRACE_SECONDS = 0.5  # between printing an error and ending every process (see stop_all_on_error)

# Variables that launchers (MPICH's and Intel's hydra, Open MPI's mpiexec, Slurm's srun) set to the
# number of processes they start. Read only to refuse training alone when mpi4py is missing.
_LAUNCHER_SIZES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_STEP_NUM_TASKS")


def init() -> None:
    """Join the world of processes started by ``mpiexec`` (or ``srun``); calling it again does nothing.

    Without a launcher it is a world of one. ``fit(..., distributed=True)`` calls it.

    Raises:
        ImportError: started by a launcher with several processes, but ``mpi4py`` is not installed
            (each process would otherwise train alone on all the data).
    """
    global _comm, _initialized
    if _initialized:
        return
    try:
        from mpi4py import MPI
    except (
        ImportError,
        RuntimeError,
    ) as exc:  # (RuntimeError: mpi4py found no MPI library to load)
        launched = [
            name
            for name in _LAUNCHER_SIZES
            if os.environ.get(name, "1").isdigit() and int(os.environ.get(name, "1")) > 1
        ]
        if launched:
            raise ImportError(
                f"glassnet.distributed: this process was started as one of several ({launched[0]}="
                f"{os.environ[launched[0]]}) but mpi4py or its MPI library is missing ({exc}); "
                'install them with pip install "glassnet[mpi]".'
            ) from exc
        _initialized = True
        return
    comm = MPI.COMM_WORLD
    _comm = comm if comm.Get_size() > 1 else None
    _initialized = True


def is_initialized() -> bool:
    """Whether :func:`init` has run in this process."""
    return _initialized


def communicator() -> Any:
    """``mpi4py``'s ``MPI.COMM_WORLD`` in a world of several processes, else None (a world of one)."""
    return _comm


def rank() -> int:
    """This process's number, 0 to ``world_size() - 1``; 0 before :func:`init` and when alone."""
    return 0 if _comm is None else _comm.Get_rank()


def world_size() -> int:
    """How many processes train together; 1 before :func:`init` and when alone."""
    return 1 if _comm is None else _comm.Get_size()


def is_main() -> bool:
    """Whether this is rank 0, the process that prints and writes files (True when alone)."""
    return rank() == 0


def barrier() -> None:
    """Wait until every process gets here (e.g. before reading a file that rank 0 writes)."""
    if _comm is not None:
        _comm.Barrier()


@contextlib.contextmanager
def stop_all_on_error() -> Iterator[None]:
    """Around code in which every process takes part in collectives: an error in one process
    prints its traceback once, from that process, and ends every process with ``MPI_Abort``.

    The other processes may be waiting in an ``Allreduce`` that the failing one will never join;
    MPI offers no way to take a collective back, so ending the job is the one way not to hang.
    When alone (world of one) the error is raised as usual.
    """
    try:
        yield
    except BaseException as error:
        if _comm is None:
            raise
        header = f"glassnet.distributed: rank {rank()} of {world_size()} failed; stopping all processes.\n"
        sys.stderr.write(header + "".join(traceback.format_exception(error)))
        sys.stderr.flush()
        sys.stdout.flush()
        # The launcher forwards what a process printed through a pipe, and may end every process
        # as soon as it hears of the Abort: give it a moment to pass the traceback on first.
        time.sleep(_GRACE_SECONDS)
        code = (
            error.code
            if isinstance(error, SystemExit) and isinstance(error.code, int) and error.code
            else 1
        )
        _comm.Abort(code)
        # MPICH's Abort may return while the launcher ends the processes: leave now, without
        # letting Python print the traceback a second time.
        os._exit(code)
