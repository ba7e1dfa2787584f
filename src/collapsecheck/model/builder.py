"""The model-authoring API: ``Builder`` (variables, threads, properties) and ``ThreadBuilder`` (steps).

A model file's ``build(m, **params)`` calls these methods; ``freeze()`` validates everything and returns a
frozen :class:`~collapsecheck.model.core.Model`. Every mistake raises :class:`ModelError` naming the model,
thread and step, with the model file's line. This module must not execute models or import z3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from collapsecheck.errors import ModelError, ModelTypeError, SourceLoc, caller_loc
from collapsecheck.expr.nodes import (
    ArrayOf,
    AtStep,
    BoundVar,
    Const,
    Elem,
    Expr,
    VarRef,
    lift,
    show,
    walk,
)
from collapsecheck.expr.sorts import (
    BOOL,
    ArraySort,
    BoolSort,
    EnumSort,
    IntRange,
    OwnerSort,
    Size,
    Sort,
    compatible,
)
from collapsecheck.model.core import (
    END,
    Case,
    Model,
    Property,
    Step,
    Thread,
    Update,
    VarDecl,
    make_actions,
    make_layout,
)

# A size above this is refused at build time: building alone takes minutes at 100,000 (one variable per
# element), and no engine could search it. 4096 leaves room above the kernel's 512-page huge page.
MAX_SIZE = 4096


class OneOf:
    """A nondeterministic initial value: the model starts in one state per choice."""

    def __init__(self, *values: object) -> None:
        if len(values) == 1 and isinstance(values[0], (list, tuple)):
            values = tuple(values[0])
        if not values:
            raise ModelError("OneOf() needs at least one value", caller_loc())
        self.values = values


@dataclass
class Frag:
    """A reusable piece of a step: a guard and some updates (kernel primitives return these)."""

    when: Expr | None = None
    do: Mapping[Expr, object] = field(default_factory=dict)


@dataclass
class CaseSpec:
    frags: tuple[Frag, ...]
    when: object
    do: Mapping[Expr, object] | None
    goto: str | None
    label: str | None
    otherwise: bool
    loc: SourceLoc | None


def case(*frags: Frag, when: object = None, do: Mapping[Expr, object] | None = None,
         goto: str | None = None, label: str | None = None) -> CaseSpec:
    """One outcome of ``branch``/``choose``: guard ``when`` (and the fragments' guards), updates, target."""
    return CaseSpec(frags, when, do, goto, label, False, caller_loc())


def otherwise(*frags: Frag, do: Mapping[Expr, object] | None = None, goto: str | None = None,
              label: str | None = None) -> CaseSpec:
    """The last case of a ``branch``: taken when no earlier case is enabled."""
    return CaseSpec(frags, None, do, goto, label, True, caller_loc())


@dataclass
class _StepSpec:
    name: str
    cases: list[CaseSpec]
    ordered: bool
    end_ok: bool
    loc: SourceLoc | None
    doc: str


class ThreadBuilder:
    """Declares one thread's locals and steps. Steps fall through to the next declared step by default."""

    END = END

    def __init__(self, model: "Builder", name: str, index: int, loc: SourceLoc | None) -> None:
        self._m = model
        self.name = name
        self.index = index
        self.loc = loc
        self._locals: list[VarDecl] = []
        self._steps: list[_StepSpec] = []

    def __enter__(self) -> "ThreadBuilder":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    @property
    def me(self) -> Const:
        """This thread as a lock-owner value."""
        return Const(self._m.OWNER, self.index + 1)

    def local(self, name: str, sort: Sort, init: object = None, doc: str = "") -> VarRef:
        """A thread-local variable (its loop index, its result code, the pages it has locked)."""
        loc = caller_loc()
        decl = self._m._declare(name, sort, init, False, self.name, loc, doc)
        self._locals.append(decl)
        return VarRef(decl)

    def at(self, *labels: str) -> AtStep:
        """True while this thread is at one of the given steps (``"END"`` once it has finished)."""
        return AtStep(self.name, tuple(labels), caller_loc())

    @property
    def done(self) -> AtStep:
        return AtStep(self.name, (END,), caller_loc())

    def step(self, name: str, *frags: Frag, when: object = None, do: Mapping[Expr, object] | None = None,
             goto: str | None = None, end: bool = False, doc: str = "") -> None:
        """An atomic step: enabled when ``when`` holds (otherwise the thread waits here)."""
        loc = caller_loc()
        spec = CaseSpec(frags, when, do, goto, None, False, loc)
        self._steps.append(_StepSpec(name, [spec], True, end, loc, doc))

    def branch(self, name: str, *cases: CaseSpec, end: bool = False, doc: str = "") -> None:
        """An atomic step with an if/elif chain of cases: the first enabled case is taken."""
        self._add_multi(name, cases, True, end, doc, caller_loc())

    def choose(self, name: str, *cases: CaseSpec, end: bool = False, doc: str = "") -> None:
        """An atomic step whose enabled cases are all possible (nondeterminism: allocation failure...)."""
        self._add_multi(name, cases, False, end, doc, caller_loc())

    def _add_multi(self, name: str, cases: tuple[CaseSpec, ...], ordered: bool, end: bool, doc: str,
                   loc: SourceLoc | None) -> None:
        if not cases:
            raise ModelError("a branch or choose needs at least one case", loc,
                             f"model {self._m.name}, thread {self.name!r}, step {name!r}")
        for c in cases:
            if not isinstance(c, CaseSpec):
                raise ModelError(f"cases must be built with case(...) or otherwise(...), got {c!r}", loc,
                                 f"model {self._m.name}, thread {self.name!r}, step {name!r}")
        self._steps.append(_StepSpec(name, list(cases), ordered, end, loc, doc))


class Builder:
    """Collects a model's declarations. ``m`` in a model file's ``build(m, ...)``."""

    def __init__(self, name: str, doc: str = "", file: str | None = None,
                 params: Iterable[tuple[str, object]] = ()) -> None:
        self.name = name
        self.doc = doc
        self.file = file
        self.params = tuple(params)
        self._sizes: list[Size] = []
        self._globals: list[VarDecl] = []
        self._threads: list[ThreadBuilder] = []
        self._props: list[Property] = []
        self._init: list[tuple[Expr, SourceLoc | None]] = []
        self._decls: dict[int, VarDecl] = {}
        self._owner: OwnerSort | None = None
        self.check_deadlock = True

    # -------------------------------------------------------------------------------- declarations
    def size(self, name: str, value: int) -> Size:
        """A build-time size such as the page count; symbolic engines may treat it as a free variable."""
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ModelError(f"size {name} must be a positive int, got {value!r}", caller_loc(), f"model {self.name}")
        if value > MAX_SIZE:
            raise ModelError(f"size {name} = {value} is above {MAX_SIZE}, the largest size a model is built at "
                             f"(one variable per element); use -p {name}=512 for the kernel's huge page, or a "
                             "smaller value", caller_loc(), f"model {self.name}")
        s = Size(name, value)
        self._sizes.append(s)
        return s

    @property
    def OWNER(self) -> OwnerSort:
        """The sort of lock owners: ``m.NOBODY`` or a thread's ``t.me``."""
        if self._owner is None:
            self._owner = OwnerSort([])
        return self._owner

    @property
    def NOBODY(self) -> Const:
        return Const(self.OWNER, 0)

    def var(self, name: str, sort: Sort, init: object = None, doc: str = "") -> VarRef:
        """A global (shared) variable. ``init`` is a value, ``OneOf(...)``, or for arrays a list of those."""
        decl = self._declare(name, sort, init, False, None, caller_loc(), doc)
        self._globals.append(decl)
        return VarRef(decl)

    def ghost(self, name: str, sort: Sort, init: object = None, doc: str = "") -> VarRef:
        """A ghost variable: bookkeeping for properties, never read by the kernel steps it models."""
        decl = self._declare(name, sort, init, True, None, caller_loc(), doc)
        self._globals.append(decl)
        return VarRef(decl)

    def thread(self, name: str) -> ThreadBuilder:
        """A kernel actor (``collapse``, ``page_fault``, ``uffd_register`` ...)."""
        loc = caller_loc()
        self._check_name(name, "thread", loc)
        if any(t.name == name for t in self._threads):
            raise ModelError(f"thread {name!r} is declared twice", loc, f"model {self.name}")
        t = ThreadBuilder(self, name, len(self._threads), loc)
        self._threads.append(t)
        self.OWNER.names.append(name)
        return t

    def always(self, name: str, expr: object, doc: str = "") -> None:
        """A safety invariant that must hold in every reachable state."""
        self._prop("always", name, expr, doc, caller_loc())

    def sometimes(self, name: str, expr: object, doc: str = "") -> None:
        """A witness: some reachable state must satisfy it, or the check is vacuous."""
        self._prop("sometimes", name, expr, doc, caller_loc())

    def progress(self, name: str, expr: object, doc: str = "") -> None:
        """A progress condition: every reachable cycle must pass through a state satisfying ``expr``.

        A cycle that never does is a non-progress cycle (livelock, a cursor that stops advancing), found
        with strongly connected components of the reachable graph, like SPIN's ``-l`` search."""
        self._prop("progress", name, expr, doc, caller_loc())

    def assume_init(self, expr: object) -> None:
        """Keep only the initial states that satisfy ``expr`` (like TLA+'s Init predicate)."""
        loc = caller_loc()
        e = lift(expr)
        if not isinstance(e.sort, BoolSort):
            raise ModelTypeError(f"assume_init needs a bool, got {show(e)}", loc, f"model {self.name}")
        self._init.append((e, loc))

    def allow_deadlock(self) -> None:
        """Do not report states where no thread can move (for models where blocking forever is expected)."""
        self.check_deadlock = False

    # ------------------------------------------------------------------------------------ internals
    def _check_name(self, name: str, what: str, loc: SourceLoc | None) -> None:
        if not isinstance(name, str) or not name or not all(ch.isalnum() or ch in "_:.-" for ch in name):
            raise ModelError(f"{what} name {name!r} must be a non-empty name of letters, digits and _ : . -", loc, f"model {self.name}")

    def _declare(self, name: str, sort: Sort, init: object, ghost: bool, thread: str | None,
                 loc: SourceLoc | None, doc: str) -> VarDecl:
        ctx = f"model {self.name}" + (f", thread {thread!r}" if thread else "")
        self._check_name(name, "variable", loc)
        if not isinstance(sort, Sort):
            raise ModelTypeError(f"variable {name!r}: {sort!r} is not a sort (use BOOL, IntRange, Enum, Array)",
                                 loc, ctx)
        existing = [d for d in self._decls.values() if d.name == name and d.thread in (None, thread)]
        if existing or (thread is None and any(d.name == name for d in self._decls.values())):
            raise ModelError(f"variable {name!r} is declared twice", loc, ctx)
        decl = VarDecl(name, sort, self._init_values(name, sort, init, loc, ctx), ghost, thread, loc, doc)
        self._decls[id(decl)] = decl
        return decl

    def _init_values(self, name: str, sort: Sort, init: object, loc: SourceLoc | None,
                     ctx: str) -> tuple[tuple[int, ...], ...]:
        def one(value: object, esort: Sort) -> tuple[int, ...]:
            choices = value.values if isinstance(value, OneOf) else (value,)
            out: list[int] = []
            for v in choices:
                if v is None:
                    v = _default(esort)
                try:
                    c = lift(v, esort)
                except ModelTypeError as e:
                    raise ModelTypeError(f"initial value of {name!r}: {e.message}", loc, ctx) from None
                if not isinstance(c, Const) or not compatible(c.sort, esort) or not (
                        esort.contains(c.value) or isinstance(esort, OwnerSort)):
                    raise ModelTypeError(f"initial value {v!r} of {name!r} is not a value of {esort}", loc, ctx)
                if c.value not in out:
                    out.append(c.value)
            return tuple(out)

        if isinstance(sort, ArraySort):
            n = sort.size_v
            if isinstance(init, (list, tuple)):
                if len(init) != n:
                    raise ModelError(f"array {name!r} has {n} elements but {len(init)} initial values", loc, ctx)
                return tuple(one(v, sort.elem) for v in init)
            return tuple(one(init, sort.elem) for _ in range(n))
        if isinstance(init, (list, tuple)):
            raise ModelTypeError(f"scalar {name!r} cannot take a list as initial value (use OneOf)", loc, ctx)
        return (one(init, sort),)

    def _prop(self, kind: str, name: str, expr: object, doc: str, loc: SourceLoc | None) -> None:
        self._check_name(name, "property", loc)
        if any(p.name == name for p in self._props):
            raise ModelError(f"property {name!r} is declared twice", loc, f"model {self.name}")
        e = lift(expr)
        if not isinstance(e.sort, BoolSort):
            raise ModelTypeError(f"{kind} {name!r} needs a bool expression, got {show(e)} ({e.sort})", loc,
                                 f"model {self.name}")
        self._props.append(Property(kind, name, e, loc, doc))

    # --------------------------------------------------------------------------------------- freeze
    def freeze(self) -> Model:
        """Validate the declarations and return the frozen model."""
        if not self._threads:
            raise ModelError("the model declares no thread", None, f"model {self.name}")
        threads = tuple(self._freeze_thread(t) for t in self._threads)
        for t, tb in zip(threads, self._threads):
            self._check_reachable(t, tb)
        tmap = {t.name: t for t in threads}
        for p in self._props:
            self._check_expr(p.expr, tmap, p.loc, f"model {self.name}, property {p.name!r}", None)
        for e, loc in self._init:
            self._check_expr(e, tmap, loc, f"model {self.name}, assume_init", None)
            for node in walk(e):
                if isinstance(node, AtStep):
                    raise ModelError("assume_init cannot mention program counters (all threads start at step 0)",
                                     loc, f"model {self.name}")
        for t, tb in zip(threads, self._threads):
            for s in t.steps:
                for c in s.cases:
                    ctx = f"model {self.name}, thread {t.name!r}, step {s.name!r}"
                    self._check_expr(c.guard, tmap, c.loc, ctx, t)
                    for u in c.updates:
                        self._check_expr(u.value, tmap, c.loc, ctx, t)
                        if isinstance(u.target, Elem):
                            self._check_expr(u.target.index, tmap, c.loc, ctx, t)
        globals_ = tuple(self._globals)
        return Model(
            name=self.name, doc=self.doc, file=self.file, params=self.params, sizes=tuple(self._sizes),
            globals=globals_, threads=threads, properties=tuple(self._props),
            init_constraints=tuple(e for e, _ in self._init), check_deadlock=self.check_deadlock,
            owner=self._owner, layout=make_layout(globals_, threads), actions=make_actions(threads))

    def _freeze_thread(self, tb: ThreadBuilder) -> Thread:
        ctx0 = f"model {self.name}, thread {tb.name!r}"
        if not tb._steps:
            raise ModelError("the thread has no steps", tb.loc, ctx0)
        names: dict[str, int] = {}
        for k, s in enumerate(tb._steps):
            self._check_name(s.name, "step", s.loc)
            if s.name == END:
                raise ModelError(f"{END!r} is reserved for the end of the thread", s.loc, ctx0)
            if s.name in names:
                raise ModelError(f"step {s.name!r} is declared twice (step names must be unique in a thread; "
                                 "use 'function:event' labels for repeated calls)", s.loc, ctx0)
            names[s.name] = k
        steps: list[Step] = []
        for k, s in enumerate(tb._steps):
            ctx = f"{ctx0}, step {s.name!r}"
            cases: list[Case] = []
            for ci, cs in enumerate(s.cases):
                loc = cs.loc or s.loc
                if cs.otherwise and (not s.ordered or ci != len(s.cases) - 1):
                    raise ModelError("otherwise(...) must be the last case of a branch(...)", loc, ctx)
                guard, updates = self._merge(cs, tb, loc, ctx)
                target = cs.goto
                if target is None:
                    goto = k + 1
                    goto_label = END if goto == len(tb._steps) else tb._steps[goto].name
                elif target == END:
                    goto, goto_label = len(tb._steps), END
                elif target in names:
                    goto, goto_label = names[target], target
                else:
                    raise ModelError(f"goto {target!r}: thread {tb.name!r} has no such step "
                                     f"(steps: {', '.join(names)})", loc, ctx)
                cases.append(Case(cs.label, guard, tuple(updates), goto, goto_label, loc))
            steps.append(Step(s.name, tuple(cases), s.ordered, s.end_ok, s.loc, s.doc))
        return Thread(tb.name, tb.index, tuple(tb._locals), tuple(steps), tb.loc)

    def _merge(self, cs: CaseSpec, tb: ThreadBuilder, loc: SourceLoc | None,
               ctx: str) -> tuple[Expr, list[Update]]:
        from collapsecheck.expr.nodes import And

        guards: list[Expr] = []
        updates: dict[tuple[object, ...], Update] = {}
        order: list[tuple[object, ...]] = []

        def add_guard(g: object) -> None:
            if g is None:
                return
            try:
                e = lift(g)
            except ModelTypeError as err:
                raise ModelTypeError(f"guard: {err.message}", loc, ctx) from None
            if not isinstance(e.sort, BoolSort):
                raise ModelTypeError(f"guard {show(e)} is a {e.sort}, not a bool", loc, ctx)
            guards.append(e)

        def add_updates(do: Mapping[Expr, object] | None) -> None:
            if not do:
                return
            if not isinstance(do, Mapping):
                raise ModelError(f"do= must be a dict {{target: value}}, got {do!r}", loc, ctx)
            for tgt, val in do.items():
                u = self._update(tgt, val, tb, loc, ctx)
                key = _target_key(u.target)
                if key in updates:
                    raise ModelError(f"{show(u.target)} is assigned twice in one step", loc, ctx)
                updates[key] = u
                order.append(key)

        for f in cs.frags:
            if not isinstance(f, Frag):
                raise ModelError(f"positional arguments of a step must be Frag objects from the kernel "
                                 f"primitives, got {f!r}", loc, ctx)
            add_guard(f.when)
            add_updates(f.do)
        add_guard(cs.when)
        add_updates(cs.do)
        self._check_array_writes([updates[k] for k in order], loc, ctx)
        guard = guards[0] if len(guards) == 1 else And(*guards)
        return guard, [updates[k] for k in order]

    def _update(self, tgt: object, val: object, tb: ThreadBuilder, loc: SourceLoc | None, ctx: str) -> Update:
        if not isinstance(tgt, (VarRef, Elem)):
            raise ModelError(f"cannot assign to {tgt!r}: targets are variables or array elements", loc, ctx)
        decl = tgt.decl if isinstance(tgt, VarRef) else tgt.array.decl
        if id(decl) not in self._decls:
            raise ModelError(f"{decl.qualname} is not a variable of this model", loc, ctx)
        if decl.thread is not None and decl.thread != tb.name:
            raise ModelError(f"thread {tb.name!r} cannot write {decl.qualname}, a local of thread "
                             f"{decl.thread!r}", loc, ctx)
        try:
            value = lift(val, tgt.sort)
        except ModelTypeError as err:
            raise ModelTypeError(f"{show(tgt)} := {val!r}: {err.message}", loc, ctx) from None
        if not compatible(tgt.sort, value.sort):
            raise ModelTypeError(f"{show(tgt)} is a {tgt.sort} but is assigned {show(value)} of sort {value.sort}",
                                 loc, ctx)
        if isinstance(tgt.sort, ArraySort) and not isinstance(value, (VarRef, ArrayOf)):
            raise ModelTypeError(f"whole array {show(tgt)} must be assigned an array variable or ArrayOf(...)",
                                 loc, ctx)
        if isinstance(tgt.sort, IntRange) and isinstance(value, Const) and not tgt.sort.contains(value.value):
            raise ModelTypeError(f"{show(tgt)} := {value.value} is outside its range {tgt.sort}", loc, ctx)
        return Update(tgt, value)

    def _check_array_writes(self, updates: list[Update], loc: SourceLoc | None, ctx: str) -> None:
        # Two element writes into one array with run-time indices could alias; refuse them so the
        # simultaneous-update semantics stays unambiguous for every interpreter.
        per_array: dict[int, list[Update]] = {}
        for u in updates:
            if isinstance(u.target, Elem):
                per_array.setdefault(id(u.target.array.decl), []).append(u)
            elif isinstance(u.target.sort, ArraySort):
                per_array.setdefault(id(u.target.decl), []).append(u)
        for ups in per_array.values():
            if len(ups) < 2:
                continue
            if any(not isinstance(u.target, Elem) for u in ups):
                raise ModelError(f"{show(ups[0].target)}: a whole-array write cannot be combined with element "
                                 "writes to the same array in one step", loc, ctx)
            idx = [u.target.index for u in ups]  # type: ignore[union-attr]
            if not all(isinstance(i, Const) for i in idx) or len({i.value for i in idx}) != len(idx):  # type: ignore[union-attr]
                raise ModelError(f"several writes to array {ups[0].target.array.name} in one step need distinct "  # type: ignore[union-attr]
                                 "constant indices (use ArrayOf for a run-time pattern)", loc, ctx)

    def _check_expr(self, e: Expr, tmap: Mapping[str, Thread], loc: SourceLoc | None, ctx: str,
                    thread: Thread | None) -> None:
        bound_ok: set[int] = set()
        for node in walk(e):
            if hasattr(node, "var") and isinstance(getattr(node, "var"), BoundVar):
                bound_ok.add(id(node.var))  # type: ignore[attr-defined]
        for node in walk(e):
            if isinstance(node, VarRef) and id(node.decl) not in self._decls:
                raise ModelError(f"{node.name} is not a variable of this model", loc, ctx)
            if isinstance(node, BoundVar) and id(node) not in bound_ok:
                raise ModelError("an index variable of ForAll/Exists/Count/ArrayOf is used outside its body",
                                 loc, ctx)
            if isinstance(node, AtStep):
                t = tmap.get(node.thread)
                if t is None:
                    raise ModelError(f"{show(node)}: no thread named {node.thread!r}", node.loc or loc, ctx)
                for lab in node.labels:
                    try:
                        t.step_index(lab)
                    except KeyError:
                        raise ModelError(f"{show(node)}: thread {t.name!r} has no step {lab!r} "
                                         f"(steps: {', '.join(s.name for s in t.steps)}, END)",
                                         node.loc or loc, ctx) from None

    def _check_reachable(self, t: Thread, tb: ThreadBuilder) -> None:
        seen = {0}
        work = [0]
        while work:
            k = work.pop()
            if k >= len(t.steps):
                continue
            for c in t.steps[k].cases:
                if c.goto not in seen:
                    seen.add(c.goto)
                    work.append(c.goto)
        for k, s in enumerate(t.steps):
            if k not in seen:
                raise ModelError(f"step {s.name!r} is unreachable: no step of thread {t.name!r} jumps to it "
                                 "and the step before it never falls through", s.loc,
                                 f"model {self.name}, thread {t.name!r}")


def _target_key(t: Expr) -> tuple[object, ...]:
    if isinstance(t, Elem):
        if isinstance(t.index, Const):
            return ("elem", id(t.array.decl), t.index.value)
        return ("dynamic", id(t))
    return ("var", id(t.decl))  # type: ignore[attr-defined]


def _default(sort: Sort) -> object:
    if isinstance(sort, BoolSort):
        return False
    if isinstance(sort, IntRange):
        return sort.lo_v
    if isinstance(sort, EnumSort):
        return sort.members[0]
    if isinstance(sort, OwnerSort):
        return Const(sort, 0)
    raise ModelTypeError(f"no default initial value for sort {sort}")


__all__ = ["BOOL", "Builder", "ThreadBuilder", "OneOf", "Frag", "case", "otherwise"]
