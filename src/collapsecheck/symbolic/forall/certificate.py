"""Stored ∀-invariants (certificates): ``models/certificates/<model>@<params>.json``.

A certificate records the invariant's clauses (as data), the properties it includes, the targets it was
re-checked to exclude, the page count it is about (``512`` or ``N``) and a fingerprint of the model's
frozen structure. It is never trusted: the engine re-checks it (``recheck.py``) before using it, and a
fingerprint that does not match the model means it is ignored. This module reads and writes files; it
must not check or infer.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from collapsecheck.model.core import Model
from collapsecheck.symbolic.reduction import fingerprint

FORMAT = 1


def model_fingerprint(model: Model, page: str, size: str) -> str:
    # Only the always properties: the ones this engine proves, and the ones ``reduction.check_generic``
    # compares for pages=N, so a witness declared only at some sizes does not hide the every-N certificate.
    text = repr((FORMAT, size, fingerprint(model, page, kinds=("always",))))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def path_for(model: Model, directory: Path | None = None, override: dict[str, object] | None = None) -> Path | None:
    if directory is None:
        if model.file is None:
            return None
        directory = Path(model.file).parent / "certificates"
    params = ",".join(f"{k}={v}" for k, v in sorted({**dict(model.params), **(override or {})}.items()))
    return directory / f"{model.name}@{params}.json"


def load(model: Model, page: str, size: str, directory: Path | None = None) -> dict[str, Any] | None:
    """The stored certificate of this model instance, or None (missing, unreadable, or another model).

    ``size = "N"`` for a model built at a number looks up the every-N certificate of the same template:
    the fingerprint leaves the page count out, so it matches only a size-generic model."""
    p = path_for(model, directory, {page: "N"} if size == "N" else None)
    if p is None or not p.is_file():
        return None
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("fingerprint") != model_fingerprint(model, page, size):
        return None
    return data


def save(model: Model, page: str, size: str, clauses: list[dict[str, Any]], props: list[str],
         proved: list[str], text: list[str], directory: Path | None = None) -> Path | None:
    p = path_for(model, directory)
    if p is None:
        return None
    p.parent.mkdir(parents=True, exist_ok=True)
    data = {"model": model.name, "params": {k: v for k, v in sorted(model.params)}, "size": size,
            "fingerprint": model_fingerprint(model, page, size), "proved": proved, "properties": props,
            "clauses": clauses, "text": text}
    p.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return p
