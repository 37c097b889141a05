"""Running tests/distributed/workers.py under ``mpiexec -n 2``, or skipping when MPI is not installed."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKERS = Path(__file__).resolve().parent / "workers.py"


def mpiexec() -> str:
    """The ``mpiexec`` beside this Python (the ``mpich`` wheel puts it there), else on the PATH; or a skip."""
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py is not installed (pip install 'glassnet[mpi]')")
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.skip("mpiexec is not installed (pip install 'glassnet[mpi]')")
    return found


def environment() -> dict[str, str]:
    """This environment, with glassnet's source first on the path and one BLAS thread per process
    (two processes share the machine's cores)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def run_workers(
    out: Path, *jobs: str, processes: int = 2, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``mpiexec -n processes python workers.py out jobs...``, its output captured."""
    command = [mpiexec(), "-n", str(processes), sys.executable, str(WORKERS), str(out), *jobs]
    return subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(),
        cwd=ROOT,
    )
