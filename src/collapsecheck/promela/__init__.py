"""Promela export of frozen models, and a driver that runs SPIN on them (the speed and soundness yardstick).

``export.py`` writes the model as Promela text whose reachable state space is state-for-state the one the
explicit engine explores; ``spin.py`` generates, compiles and runs SPIN's verifier and parses what it
reports. Nothing here decides collapsecheck verdicts.
"""
