"""The expression language: sorts, node classes, the reference interpreter and the printer.

Imports go sorts <- nodes <- printer <- evaluate. Importing the package installs the two upward hooks:
nodes.py gives sorts.py the constructor of enum members (``Slot.HOLE``) and printer.py gives nodes.py its
``show`` for messages and repr, so that no module imports one above it.
"""

from collapsecheck.expr import printer as _printer  # noqa: F401  (imports nodes; installs both hooks)
