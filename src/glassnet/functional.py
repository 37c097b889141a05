"""All differentiable operations as functions, the way ``torch.nn.functional`` is used.

>>> import glassnet.functional as F
>>> import glassnet as gn
>>> x = gn.Tensor([[-1.0, 2.0]], requires_grad=True)
>>> F.relu(x).tolist()
[[0.0, 2.0]]

Each function is a thin wrapper over one :class:`~glassnet.autograd.function.Function`
subclass in :mod:`glassnet.ops`; read that class to see its forward pass and its gradient.
"""

from .ops.activation import *  # noqa: F401,F403
from .ops.arithmetic import *  # noqa: F401,F403
from .ops.attention import *  # noqa: F401,F403
from .ops.conv import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from .ops.losses import *  # noqa: F401,F403
from .ops.math import *  # noqa: F401,F403
from .ops.normalization import *  # noqa: F401,F403
from .ops.pooling import *  # noqa: F401,F403
from .ops.recurrent import *  # noqa: F401,F403
from .ops.reduce import *  # noqa: F401,F403
from .ops.regularization import *  # noqa: F401,F403
from .ops.resize import *  # noqa: F401,F403
from .ops.shape import *  # noqa: F401,F403
