"""The ``prove`` engine: quantified inductive invariants over a Z3 array encoding, for a page count of 512
or for every page count.

Modules, one job each: ``ground`` (array encoding with page quantifiers replaced by witnesses and finite
instantiation), ``columns`` (per-page projection of sample states, clause templates), ``houdini``
(the largest inductive subset of candidates, unsat-core minimisation), ``recheck`` (independent validity
queries built afresh), ``certificate`` (stored invariants), ``text`` (printing), ``engine`` (the registry
entry point).
"""
