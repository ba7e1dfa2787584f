"""collapsecheck: a model checker for the Linux kernel's huge-page collapse protocols.

Models live in ``models/*.py`` and are written with :mod:`collapsecheck.dsl`; engines check them.
This package root only carries the version; it must not import engines (keeps ``import`` cheap).
"""

__version__ = "0.1.0"
