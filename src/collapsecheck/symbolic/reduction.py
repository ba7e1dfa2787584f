"""The page-count reduction: check that a model may be reduced, and describe the reduction.

The reduction (the argument is in ``docs/symbolic.md``): arrays indexed by the abstracted size ``N`` keep
only the elements at ``k`` tracked indices ``p0..p(k-1)``, arbitrary and fixed for a run. Reads of any
other element, and the untracked part of a quantifier over the pages, are *nondeterministic choices*
(``encode.py``), so control flow that depends on other pages' contents is over-approximated rather than
ignored, and every concrete run at every ``N`` maps to an abstract run for every choice of tracked
indices. A property's universally quantified page is instantiated at a tracked index. So a proof of the
reduced system is a proof of the model; an abstract counterexample proves nothing until it has been
concretised and replayed at a concrete size.

With a *symbolic* size the proof covers every ``N >= n_min`` only if the model at every ``N`` is the
same template. :func:`check_generic` checks that: the frozen models built at two sizes must be identical
up to the size's value (no per-page unrolled steps, no plain ints derived from the page count). A model
that fails the check is refused, never "proved". This module checks and describes; it must not encode
or solve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collapsecheck.engine_config import ModelBuilder
from collapsecheck.errors import ModelError, UsageError
from collapsecheck.expr.nodes import (
    AtStep,
    BoundVar,
    Const,
    Count,
    Elem,
    Expr,
    Quant,
    SizeRef,
    VarRef,
    ArrayOf,
    show,
    walk,
)
from collapsecheck.expr.sorts import ArraySort, BoolSort, Bound, EnumSort, IntRange, OwnerSort, Size, Sort
from collapsecheck.model.core import Model, VarDecl

MAX_TRACKED = 3


@dataclass
class Reduction:
    """How one run reduces the abstracted size ``size``."""

    size: str
    symbolic: bool  # True: the size is a free variable (>= n_min); False: fixed at the model's value
    value: int  # the model's own value of the size
    n_min: int
    tracked: int  # number of tracked indices
    array_offset: int  # arrays over the size have N + array_offset elements
    havoc_sites: list[str] = field(default_factory=list)
    pinned: list[str] = field(default_factory=list)  # index variables that name a tracked page of their own
    # Refinement (bmc): page indices tracked at fixed positions, the last len(concrete) of the ``tracked``
    # indices; reads there are exact. Learnt from spurious abstract traces (``trace.spurious_by_refinement``).
    concrete: tuple[int, ...] = ()
    _full: set[int] = field(default_factory=set, repr=False)
    build: ModelBuilder | None = field(default=None, repr=False, compare=False)  # rebuilds at other sizes

    def refined(self, pages: list[int]) -> "Reduction":
        """The same reduction tracking ``pages`` exactly as well (a finer over-approximation: still sound)."""
        import dataclasses

        new = [p for p in pages if p not in self.concrete]
        return dataclasses.replace(self, tracked=self.tracked + len(new), concrete=self.concrete + tuple(new))

    def concrete_positions(self) -> list[tuple[int, int]]:
        """(position among the tracked indices, page) of every concretely tracked page."""
        base = self.tracked - len(self.concrete)
        return [(base + j, p) for j, p in enumerate(self.concrete)]

    def full_range(self, decl: VarDecl) -> bool:
        """The declared initial choices are the whole (size-dependent) range of the variable's sort."""
        return id(decl) in self._full

    @property
    def label(self) -> str:
        return f"{self.size} >= {self.n_min} (symbolic)" if self.symbolic else f"{self.size} = {self.value}"

    def describe(self) -> str:
        """The reduction in one paragraph, for the CLI output and the result's ``extra``."""
        idx = ", ".join(f"p{j}" for j in range(self.tracked))
        pins = len(self.pinned)
        what = (f"every {self.size} >= {self.n_min}" if self.symbolic else f"{self.size} = {self.value}")
        text = (f"page-count reduction for {what}: arrays over {self.size} keep only the elements at "
                f"{self.tracked} arbitrary tracked page{'s' if self.tracked > 1 else ''} {idx}; "
                "a property's quantified page is instantiated at a tracked page, and reads of other pages "
                "are nondeterministic choices (an over-approximation: proofs are sound, counterexamples "
                "are concretised and replayed before they are reported)")
        if pins:
            text += "; index variables no step assigns track a page of their own: " + ", ".join(
                f"p{self.tracked + j} = {v}" for j, v in enumerate(self.pinned))
        if self.concrete:
            text += ("; refined after spurious abstract traces: pages " + ", ".join(map(str, self.concrete))
                     + " are tracked exactly")
        if self.symbolic:
            text += f"; the model was checked to be size-generic ({self.size}={self.value} vs {self.value + 1})"
        if self.havoc_sites:
            text += "; data-dependent steps abstracted as nondeterministic choice: " + ", ".join(self.havoc_sites)
        return text


# ------------------------------------------------------------------------------------ planning
def plan(model: Model, size: str, symbolic: bool, build: ModelBuilder | None = None) -> Reduction:
    """The reduction of ``model`` over size ``size``; raises UsageError/ModelError when it does not apply."""
    sizes = {s.name: s for s in model.sizes}
    if size not in sizes:
        known = ", ".join(sorted(sizes)) or "none"
        raise UsageError(f"model {model.name} has no size named {size!r} (sizes: {known})")
    value = sizes[size].value
    offsets = set()
    for d in model.all_vars():
        if isinstance(d.sort, ArraySort) and _is(d.sort.size, size):
            offsets.add(d.sort.size.offset)  # type: ignore[union-attr]
    if len(offsets) > 1:
        raise ModelError(f"model {model.name}: arrays over {size} have different lengths "
                         f"({', '.join(f'{size}{o:+d}' for o in sorted(offsets))}); the reduction tracks one "
                         "index range")
    offset = offsets.pop() if offsets else 0
    needed = 1
    from collapsecheck.symbolic.encode import witnesses_needed

    for p in model.properties:
        if p.kind == "always":
            needed = max(needed, witnesses_needed(p.expr, size, want=False))
        elif p.kind == "sometimes":
            needed = max(needed, witnesses_needed(p.expr, size, want=True))
    if needed > MAX_TRACKED:
        raise ModelError(f"model {model.name}: a property quantifies over {needed} pages at once; the reduction "
                         f"tracks at most {MAX_TRACKED}")
    red = Reduction(size, symbolic, value, n_min(model, size), needed, offset, build=build)
    red.pinned = pinned_indices(model, size, offset)
    red.havoc_sites = havoc_sites(model, size, red.pinned)
    if symbolic:
        for d in model.all_vars():
            if _full_init(d, size):
                red._full.add(id(d))
    return red


def _is(b: Bound, size: str) -> bool:
    return isinstance(b, Size) and b.name == size


def n_min(model: Model, size: str) -> int:
    """The least size for which every range of the model is non-empty and every array has an element."""
    lo_n = 1
    sorts: list[Sort] = []
    for d in model.all_vars():
        sorts.append(d.sort)
        if isinstance(d.sort, ArraySort):
            sorts.append(d.sort.elem)
            if _is(d.sort.size, size):
                lo_n = max(lo_n, 1 - d.sort.size.offset)  # type: ignore[union-attr]
    for s in sorts:
        if isinstance(s, IntRange):
            lo, hi = s.lo, s.hi
            if _is(hi, size) and not _is(lo, size):
                lo_n = max(lo_n, int(lo) - hi.offset)  # type: ignore[union-attr,arg-type]
            if _is(lo, size) and not _is(hi, size):
                raise ModelError(f"model {model.name}: a range {s} has an upper bound that does not grow "
                                 f"with {size}; it cannot hold for every {size}")
    return lo_n


def _full_init(d: VarDecl, size: str) -> bool:
    sort = d.elem_sort
    if not (isinstance(sort, IntRange) and (_is(sort.lo, size) or _is(sort.hi, size))):
        return False
    full = tuple(range(sort.lo_v, sort.hi_v + 1))
    return all(tuple(sorted(c)) == full for c in d.init)


def pinned_indices(model: Model, size: str, offset: int) -> list[str]:
    """Index variables over the pages that no step assigns (the faulting address, the punched index).

    Each gets a tracked page of its own, equal to it, so reads through it are exact instead of
    nondeterministic: still sound (tracking more pages only removes abstraction), and it keeps a thread
    that waits on "its" page from looking blocked by an arbitrary value."""
    written: set[int] = set()
    for t in model.threads:
        for s in t.steps:
            for c in s.cases:
                for u in c.updates:
                    if isinstance(u.target, VarRef):
                        written.add(id(u.target.decl))
    out = []
    for d in model.all_vars():
        s = d.sort
        if isinstance(s, IntRange) and s.lo_v == 0 and not isinstance(s.lo, Size) and _is(s.hi, size) \
                and s.hi.offset == offset - 1 and id(d) not in written:  # type: ignore[union-attr]
            out.append(d.qualname)
    return out


def havoc_sites(model: Model, size: str, pinned: list[str] | None = None) -> list[str]:
    """``thread:step`` of every step whose guard or update looks at pages other than the tracked ones."""
    out = []
    for t in model.threads:
        for s in t.steps:
            reads: list[str] = []
            for c in s.cases:
                exprs: list[Expr] = [c.guard]
                for u in c.updates:
                    exprs.append(u.value)
                    if isinstance(u.target, Elem):
                        exprs.append(u.target.index)
                for e in exprs:
                    reads += _other_page_reads(e, size, pinned or [])
            if reads:
                uniq = list(dict.fromkeys(reads))
                out.append(f"{t.name}:{s.name} ({', '.join(uniq)})")
    return out


def _other_page_reads(e: Expr, size: str, pinned: list[str]) -> list[str]:
    # Reads at a bound index (ArrayOf and quantifier bodies, evaluated per tracked page) and through a
    # pinned index variable are exact; every other read of a tracked array, and every quantifier or count
    # over the pages, is abstracted.
    out: list[str] = []
    for node in walk(e):
        if isinstance(node, Elem) and isinstance(node.array.sort, ArraySort) and _is(node.array.sort.size, size):
            idx = node.index
            if not isinstance(idx, BoundVar) and not (isinstance(idx, VarRef) and idx.name in pinned):
                out.append(show(node))
        if isinstance(node, (Quant, Count)) and _is(node.var.size, size):
            out.append(show(node)[:40] + ("..." if len(show(node)) > 40 else ""))
    return out


# ------------------------------------------------------------------------------ size-genericity
def rebuild(model: Model, size: str, value: int, build: ModelBuilder | None) -> Model:
    """The same model file and parameters, with the size parameter set to ``value``, built by ``build``
    (the loader's builder, handed down through ``CheckConfig.build``: the loader sits above the engines)."""
    params = dict(model.params)
    if build is None:
        raise UsageError(f"model {model.name} cannot be rebuilt at {size}={value}: no model builder was given "
                         "(CheckConfig.build)")
    if model.file is None:
        raise UsageError(f"model {model.name} was not loaded from a file; it cannot be rebuilt at {size}={value}")
    if params.get(size) not in ({s.name: s.base for s in model.sizes}.get(size), "N"):  # "N": every size
        raise UsageError(f"model {model.name}: size {size!r} is not set by a build parameter of the same name, "
                         "so the model cannot be rebuilt at another size")
    params[size] = value
    return build(Path(model.file), params)


def check_generic(model: Model, size: str, build: ModelBuilder | None,
                  kinds: tuple[str, ...] | None = None) -> None:
    """Refuse the symbolic size unless the model built at ``value`` and ``value + 1`` is the same template.
    ``kinds``: compare only the properties of these kinds (an engine that checks only ``always`` properties
    accepts a witness that a model declares only at the sizes where it can be reached)."""
    value = {s.name: s.value for s in model.sizes}[size]
    other = rebuild(model, size, value + 1, build)
    a, b = fingerprint(model, size, kinds), fingerprint(other, size, kinds)
    if a != b:
        where = _first_difference(a, b)
        raise ModelError(f"model {model.name} is not size-generic in {size}: built at {size}={value} and "
                         f"{size}={value + 1} it differs ({where}); a symbolic {size} needs one template for "
                         "every size (write sizes with m.size(...) values, not Python ints, and no per-page "
                         "unrolled steps)")


def fingerprint(model: Model, size: str, kinds: tuple[str, ...] | None = None) -> Any:
    """A canonical nested tuple of the model in which the abstracted size's value does not appear (only the
    properties of ``kinds`` when given)."""
    def sort_fp(s: Sort) -> Any:
        if isinstance(s, BoolSort):
            return ("bool",)
        if isinstance(s, IntRange):
            return ("int", bound_fp(s.lo), bound_fp(s.hi))
        if isinstance(s, EnumSort):
            return ("enum", s.name, s.members)
        if isinstance(s, OwnerSort):
            return ("owner", tuple(s.names))
        if isinstance(s, ArraySort):
            return ("array", sort_fp(s.elem), bound_fp(s.size))
        return ("sort", str(s))

    def bound_fp(b: Bound) -> Any:
        if isinstance(b, Size):
            return ("size", b.name, b.offset) if b.name == size else ("size", b.name, b.base, b.offset)
        return int(b)

    def init_fp(d: VarDecl) -> Any:
        if _full_init(d, size):
            return ("full",)
        if isinstance(d.sort, ArraySort) and len(set(d.init)) == 1:
            return ("each", d.init[0])
        return ("list", d.init)

    def expr_fp(e: Expr, names: dict[int, int]) -> Any:
        if isinstance(e, Const):
            return ("const", sort_fp(e.sort) if not isinstance(e.sort, IntRange) else "int", e.value)
        if isinstance(e, VarRef):
            return ("var", e.name)
        if isinstance(e, SizeRef):
            return ("sizeref", bound_fp(e.size))
        if isinstance(e, BoundVar):
            return ("bound", names.get(id(e), -1))
        if isinstance(e, AtStep):
            return ("at", e.thread, e.labels)
        if isinstance(e, (Quant, Count, ArrayOf)):
            inner = dict(names)
            inner[id(e.var)] = len(names)
            kind = e.kind if isinstance(e, Quant) else type(e).__name__
            return (kind, bound_fp(e.var.size), expr_fp(e.body, inner))
        own = tuple(getattr(e, n) for n in getattr(e, "__slots__", ()) if n not in ("sort",))
        parts = []
        for x in own:
            if isinstance(x, Expr):
                parts.append(expr_fp(x, names))
            elif isinstance(x, tuple) and x and isinstance(x[0], Expr):
                parts.append(tuple(expr_fp(y, names) for y in x))
            else:
                parts.append(x)
        return (type(e).__name__, *parts)

    def var_fp(d: VarDecl) -> Any:
        return (d.qualname, sort_fp(d.sort), init_fp(d), d.ghost)

    threads = []
    for t in model.threads:
        steps = []
        for s in t.steps:
            cases = tuple((c.label, expr_fp(c.guard, {}), c.goto,
                           tuple((expr_fp(u.target, {}), expr_fp(u.value, {})) for u in c.updates))
                          for c in s.cases)
            steps.append((s.name, s.ordered, s.end_ok, cases))
        threads.append((t.name, tuple(var_fp(d) for d in t.locals), tuple(steps)))
    return (
        ("globals", tuple(var_fp(d) for d in model.globals)),
        ("threads", tuple(threads)),
        ("properties", tuple((p.kind, p.name, expr_fp(p.expr, {})) for p in model.properties
                             if kinds is None or p.kind in kinds)),
        ("init", tuple(expr_fp(c, {}) for c in model.init_constraints)),
        ("deadlock", model.check_deadlock),
    )


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) != len(b):
            return f"{path or 'model'}: {len(a)} vs {len(b)} parts"
        label = path
        for k, (x, y) in enumerate(zip(a, b)):
            if x != y:
                name = x[0] if isinstance(x, tuple) and x and isinstance(x[0], str) else str(k)
                return _first_difference(x, y, f"{label}/{name}" if label else name)
    return f"{path}: {_short(a)} vs {_short(b)}"


def _short(x: Any) -> str:
    s = repr(x)
    return s if len(s) < 80 else s[:77] + "..."
