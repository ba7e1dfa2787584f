"""The model-authoring API, in one import: ``from collapsecheck.dsl import *`` in ``models/*.py``.

Re-exports only; nothing here has behaviour of its own.
"""

from collapsecheck.expr.nodes import (
    And,
    ArrayOf,
    Count,
    Exists,
    Expr,
    ForAll,
    Implies,
    In,
    Ite,
    Not,
    Or,
)
from collapsecheck.expr.sorts import BOOL, Array, Enum, IntRange, Size
from collapsecheck.model import kernel
from collapsecheck.model.builder import Builder, Frag, OneOf, ThreadBuilder, case, otherwise
from collapsecheck.model.core import END

__all__ = [
    "And", "Array", "ArrayOf", "BOOL", "Builder", "Count", "END", "Enum", "Exists", "Expr", "ForAll", "Frag",
    "Implies", "In", "IntRange", "Ite", "Not", "OneOf", "Or", "Size", "ThreadBuilder", "case", "kernel",
    "otherwise",
]
