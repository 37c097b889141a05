"""Data parallelism over MPI: the same script on many processes, each training on its share of the data.

Start it with ``mpiexec -n 4 python train.py`` (or ``srun`` on a Slurm cluster) and pass
``distributed=True`` to ``fit``; see the README's section "More than one process". The pieces
are usable on their own for a hand-written loop::

    import glassnet.distributed as dist
    dist.init()
    dist.broadcast_parameters(model)            # everyone starts from rank 0's weights
    for x, y in my_share_of_the_batches:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        dist.allreduce_gradients(model.parameters())   # mean gradient: one Allreduce
        optimizer.step()

Needs ``mpi4py`` and an MPI library (``pip install "glassnet[mpi]"`` brings both, MPICH included).
Without them, or without ``mpiexec``, a process is a world of one and every call here is a no-op.
"""

from .collectives import (
    FlatBuffer,
    GradientAverager,
    allgather,
    allreduce_gradients,
    any_across_ranks,
    broadcast_buffers,
    broadcast_generator,
    broadcast_object,
    broadcast_optimizer_state,
    broadcast_parameters,
    sum_across_ranks,
)
from .sampler import ShardedLoader, contiguous_part, shard_rows
from .world import (
    barrier,
    communicator,
    init,
    is_initialized,
    is_main,
    rank,
    stop_all_on_error,
    world_size,
)

__all__ = [
    "init",
    "is_initialized",
    "rank",
    "world_size",
    "is_main",
    "barrier",
    "communicator",
    "stop_all_on_error",
    "broadcast_parameters",
    "broadcast_buffers",
    "broadcast_optimizer_state",
    "broadcast_generator",
    "broadcast_object",
    "allreduce_gradients",
    "allgather",
    "sum_across_ranks",
    "any_across_ranks",
    "FlatBuffer",
    "GradientAverager",
    "ShardedLoader",
    "shard_rows",
    "contiguous_part",
]
