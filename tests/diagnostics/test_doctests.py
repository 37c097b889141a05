"""The examples in the docstrings of the seeing-inside modules run and print what they show."""

from __future__ import annotations

import doctest

import pytest

import glassnet.autograd.observe
import glassnet.diagnostics.trace
import glassnet.nn.module
import glassnet.viz


@pytest.mark.parametrize(
    "module",
    [glassnet.autograd.observe, glassnet.diagnostics.trace, glassnet.viz, glassnet.nn.module],
    ids=lambda m: m.__name__,
)
def test_docstring_examples(module):
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0
