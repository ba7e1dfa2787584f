"""The orchestration layer: everything that turns a command into engine runs and reports.

- ``loader.py``: finds and builds ``models/<name>.py`` (errors at file:line).
- ``manifest.py``: loads and validates ``models/manifest.toml`` into ``result.rows.Entry`` records.
- ``engines.py``: the engine registry (name -> implementation; hands the model builder down).
- ``verify.py``: runs one model or every manifest entry, compares with the expectations, makes ``Row``s.
- ``commands.py``: the bodies of the CLI commands: verify -> rows -> renderers -> exit code.
- ``ci.py``: where CI outputs go (JUnit/SARIF files, GitHub annotations and step summary).
- ``figures.py``: the ``diagram`` and ``graph`` commands.

It may import every layer below it (report, engines, result, model, expr); nothing below imports it.
It must not decide verdicts (engines do); output formats live in ``collapsecheck.report``.
"""
