"""Loads ``models/*.py`` files, applies build parameters and freezes the model.

Any mistake in a model file (syntax, type, unknown name, invalid step) becomes one :class:`ModelError`
naming the file and line, never a traceback. This module must not run engines.
"""

from __future__ import annotations

import ast
import inspect
import os
import traceback
import types
from pathlib import Path
from typing import Any, Mapping

from collapsecheck.errors import ModelError, SourceLoc, UsageError, relpath
from collapsecheck.model import dictcheck
from collapsecheck.model.builder import Builder
from collapsecheck.model.core import Model


def find_models_dir(start: Path | None = None) -> Path:
    """``models/`` (with its ``manifest.toml``) in the working directory or the nearest parent that has
    one; a clear error when there is none, so that no command silently looks in the wrong place."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "models" / "manifest.toml").is_file():
            return d / "models"
    raise UsageError(f"no models/manifest.toml in {here} or any folder above it: run inside a collapsecheck "
                     "project, pass --models DIR (the folder of model files) or --manifest FILE, or name a "
                     "model file by its path (e.g. ./my_model.py)")


def models_dir_of(models: Path | None) -> Path:
    """The folder given with ``--models`` (checked), else the one found from the working directory."""
    if models is None:
        return find_models_dir()
    if not models.is_dir():
        raise UsageError(f"--models {models}: no such folder")
    return models


def resolve(spec: str, models_dir: Path | None = None) -> Path:
    """A model name (``collapse_file_vs_uffd``) or a path to a model file."""
    p = Path(spec)
    if p.suffix == ".py" or os.sep in spec:
        if not p.is_file():
            raise UsageError(f"model file {spec} does not exist")
        return p
    d = models_dir_of(models_dir)
    cand = d / f"{spec}.py"
    if not cand.is_file():
        names = sorted(q.stem for q in d.glob("*.py") if not q.stem.startswith("_")) if d.is_dir() else []
        hint = f"; models in {relpath(str(d))}: {', '.join(names)}" if names else f"; no models in {relpath(str(d))}"
        raise UsageError(f"unknown model {spec!r}{hint}")
    return cand


def _model_frame(tb: types.TracebackType | None, path: str) -> SourceLoc | None:
    """The innermost traceback frame inside the model file."""
    want = os.path.abspath(path)
    loc = None
    for frame in traceback.extract_tb(tb):
        if os.path.abspath(frame.filename) == want and frame.lineno is not None:
            loc = SourceLoc(relpath(frame.filename), frame.lineno)
    return loc


def load_module(path: Path) -> types.ModuleType:
    """Execute a model file as a fresh module (never cached, so edits are always seen)."""
    text = _read(path)
    fname = str(path)
    try:
        # Every dict display is checked for a key named twice (Python would drop all but the last).
        code = compile(dictcheck.instrument(ast.parse(text, fname), fname), fname, "exec")
    except SyntaxError as e:
        raise ModelError(f"syntax error: {e.msg}; fix the Python syntax",
                         SourceLoc(relpath(fname), e.lineno or 1)) from None
    except (ValueError, RecursionError) as e:
        raise ModelError(f"the model file cannot be compiled: {e}", SourceLoc(relpath(fname), 1)) from None
    mod = types.ModuleType(f"collapsecheck_model_{path.stem}")
    mod.__file__ = fname
    mod.__dict__[dictcheck.HOOK] = dictcheck.checked_dict
    try:
        exec(code, mod.__dict__)
    except ModelError as e:
        raise _locate(e, e.__traceback__, fname) from None
    except Exception as e:  # noqa: BLE001 - any error in a model file is the author's to fix
        raise ModelError(f"{type(e).__name__}: {e}", _model_frame(e.__traceback__, fname)) from None
    if not callable(getattr(mod, "build", None)):
        raise ModelError("a model file must define build(m, **params)", SourceLoc(relpath(fname), 1))
    return mod


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot read model file {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ModelError("the model file is not UTF-8 text", SourceLoc(relpath(str(path)), 1)) from None


def _locate(e: ModelError, tb: types.TracebackType | None, fname: str) -> ModelError:
    if e.loc is None:
        e.loc = _model_frame(tb, fname)
    return e


def parameters(mod: types.ModuleType) -> dict[str, Any]:
    """The keyword parameters of ``build`` and their defaults."""
    sig = inspect.signature(mod.build)
    out: dict[str, Any] = {}
    for name, p in list(sig.parameters.items())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        out[name] = None if p.default is inspect.Parameter.empty else p.default
    return out


def coerce(name: str, raw: object, default: Any) -> Any:
    """Convert a ``-p key=value`` string to the type of the parameter's default."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if isinstance(default, bool) or (default is None and text.lower() in ("true", "false")):
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise UsageError(f"parameter {name} must be true or false, got {raw!r}")
    if isinstance(default, int) or default is None:
        try:
            return int(text)
        except ValueError:
            if isinstance(default, int):
                raise UsageError(f"parameter {name} must be an integer, got {raw!r}") from None
    return text


def build(path: Path, params: Mapping[str, object] | None = None) -> Model:
    """Load the model file and build one frozen instance with the given parameters."""
    mod = load_module(path)
    defaults = parameters(mod)
    given = dict(params or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        accepted = ", ".join(f"{k}={v!r}" for k, v in defaults.items()) or "none"
        raise UsageError(f"model {path.stem} has no parameter {', '.join(unknown)}; accepted: {accepted}")
    # ``-p pages=N`` (the literal N) asks for every page count: the model is built at its default size and
    # keeps "N" as the parameter's value, so engines that enumerate one size can refuse it
    # (verify.check_model) and the prove engine treats that size as a free variable.
    every = [k for k in given if given[k] == "N" and isinstance(defaults.get(k), int)
             and not isinstance(defaults.get(k), bool)]
    values = {k: coerce(k, given[k], v) if k in given and k not in every else v for k, v in defaults.items()}
    missing = [k for k, v in values.items() if v is None]
    if missing:
        raise UsageError(f"model {path.stem} needs parameter(s) {', '.join(missing)} (-p name=value)")
    fname = str(path)
    shown = {k: ("N" if k in every else v) for k, v in values.items()}
    m = Builder(path.stem, inspect.cleandoc(mod.__doc__ or ""), relpath(fname), tuple(shown.items()))
    try:
        mod.build(m, **values)
        return m.freeze()
    except ModelError as e:
        e = _locate(e, e.__traceback__, fname)
        if e.loc is None:
            e.loc = _build_line(mod, fname)
        raise e from None
    except Exception as e:  # noqa: BLE001
        # Raised inside the DSL after build() returned (validation at freeze): point at build() itself.
        loc = _model_frame(e.__traceback__, fname) or _build_line(mod, fname)
        raise ModelError(f"{type(e).__name__}: {e}", loc, f"model {path.stem}") from None


def _build_line(mod: types.ModuleType, fname: str) -> SourceLoc | None:
    code = getattr(mod.build, "__code__", None)
    return SourceLoc(relpath(fname), code.co_firstlineno) if code is not None else None
