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
    And,
    ArrayOf,
    AtStep,
    BoundVar,
    Const,
    Elem,
    Expr,
    Implies,
    Not,
    Or,
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
    """A reusable piece of a step: a guard and some updates (kernel primitives return these).

    ``blocking`` names a waiting acquisition (``spin_lock(xa_lock)``): its guard is what the thread waits
    for, not a condition that selects the case. In a ``branch`` a case whose own condition holds waits
    for it (later cases are not tried, as in the kernel); a ``choose`` refuses it (see ``_freeze_thread``)."""

    when: Expr | None = None
    do: Mapping[Expr, object] = field(default_factory=dict)
    blocking: str | None = None


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
        loc = caller_loc()
        for lab in labels:
            if not isinstance(lab, str):
                raise ModelError(f"at(...) takes step names (strings), got {lab!r}", loc,
                                 f"model {self._m.name}, thread {self.name!r}")
        return AtStep(self.name, tuple(labels), loc)

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
        self._locks: list[object] = []  # kernel lock primitives, for the built-in exit check
        self._held_ok: list[tuple[object, str | None, str, SourceLoc | None]] = []

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

    def allow_held_at_exit(self, lock: object, *threads: ThreadBuilder, why: str = "") -> None:
        """Declare that ``lock`` (a SpinLock, SleepLock or RwSem) may still be held by the given threads
        (all threads when none is given) when they finish or rest at an ``end=True`` step; ``why`` should
        cite the kernel code that does so. Without it the built-in ``locks_released_at_exit`` fails."""
        loc = caller_loc()
        if not any(lock is k for k in self._locks):
            raise ModelError(f"allow_held_at_exit: {lock!r} is not a lock primitive of this model (SpinLock, "
                             "SleepLock or RwSem created with this m)", loc, f"model {self.name}")
        if not isinstance(why, str) or not why.strip():
            raise ModelError("allow_held_at_exit needs why=\"...\" citing the kernel code that keeps the lock",
                             loc, f"model {self.name}")
        for t in threads:
            if not isinstance(t, ThreadBuilder) or t._m is not self:
                raise ModelError(f"allow_held_at_exit: {t!r} is not a thread of this model", loc,
                                 f"model {self.name}")
        for t in threads or (None,):  # type: ignore[assignment]
            self._held_ok.append((lock, t.name if t is not None else None, why, loc))

    def _register_lock(self, lock: object) -> None:
        self._locks.append(lock)

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
                        self._check_expr(u.value, tmap, c.loc, ctx, t, isinstance(u.target.sort, ArraySort))
                        if isinstance(u.target, Elem):
                            self._check_expr(u.target.index, tmap, c.loc, ctx, t)
        self._check_behaviour_reads(threads)
        props = tuple(self._props) + self._exit_lock_property(threads)
        globals_ = tuple(self._globals)
        return Model(
            name=self.name, doc=self.doc, file=self.file, params=self.params, sizes=tuple(self._sizes),
            globals=globals_, threads=threads, properties=props,
            init_constraints=tuple(e for e, _ in self._init), check_deadlock=self.check_deadlock,
            owner=self._owner, layout=make_layout(globals_, threads), actions=make_actions(threads))

    def _check_behaviour_reads(self, threads: tuple[Thread, ...]) -> None:
        """Ghosts must not influence behaviour. A variable decides behaviour when a guard or the index of a
        real (non-ghost) write reads it, or when its value flows into such a variable; no ghost may be one.
        Constant array indices must be inside their array."""
        # (expr, what it is, target decl or None for guards/indices, loc, ctx), in declaration order
        sites: list[tuple[Expr, str, VarDecl | None, SourceLoc | None, str]] = []
        for t in threads:
            for s in t.steps:
                ctx = f"model {self.name}, thread {t.name!r}, step {s.name!r}"
                for c in s.cases:
                    sites.append((c.guard, "the guard", None, c.loc, ctx))
                    for u in c.updates:
                        decl = u.target.decl if isinstance(u.target, VarRef) else u.target.array.decl
                        if isinstance(u.target, Elem) and not decl.ghost:
                            sites.append((u.target.index, f"the index of {show(u.target)}", None, c.loc, ctx))
                        elif isinstance(u.target, Elem):
                            self._check_const_indices(u.target.index, c.loc, ctx)
                        sites.append((u.value, f"the new value of {show(u.target)}", decl, c.loc, ctx))
        for e, _, _, loc, ctx in sites:
            self._check_const_indices(e, loc, ctx)
        why: dict[int, str] = {}  # id(decl) -> where it first decides behaviour
        for e, what, tgt, loc, ctx in sites:
            if tgt is None:
                for d in _reads(e):
                    why.setdefault(id(d), f"{what} of {ctx.split(', ', 1)[-1]} ({loc})")
        changed = True
        while changed:
            changed = False
            for e, what, tgt, loc, ctx in sites:
                if tgt is not None and id(tgt) in why:
                    for d in _reads(e):
                        if id(d) not in why:
                            why[id(d)] = f"{what} ({loc}), and {tgt.qualname} decides behaviour: {why[id(tgt)]}"
                            changed = True
        for e, what, tgt, loc, ctx in sites:
            if tgt is not None and (tgt.ghost or id(tgt) not in why):
                continue
            for d in _reads(e):
                if d.ghost:
                    via = "" if tgt is None else f", and {tgt.qualname} decides behaviour: {why[id(tgt)]}"
                    raise ModelError(f"ghost variable {d.qualname} is read in {what}{via}. Ghosts are bookkeeping "
                                     "for properties and must not influence behaviour: read a real variable, or "
                                     f"declare {d.name} with m.var(...) if the kernel code reads it", loc, ctx)

    def _check_const_indices(self, e: Expr, loc: SourceLoc | None, ctx: str) -> None:
        for node in walk(e):
            if isinstance(node, Elem) and isinstance(node.index, Const):
                n = node.array.decl.sort.size_v  # type: ignore[union-attr]
                if not 0 <= node.index.value < n:
                    raise ModelError(f"{show(node)}: index {node.index.value} is outside "
                                     f"{node.array.decl.qualname}[0..{n - 1}]", loc, ctx)

    def _exit_lock_property(self, threads: tuple[Thread, ...]) -> tuple[Property, ...]:
        """The built-in ``locks_released_at_exit``: no thread finishes, or rests (no case enabled) at an
        ``end=True`` step, while it holds a lock primitive, unless ``allow_held_at_exit`` declares it; and
        no read holder of an RwSem remains once every thread has finished."""
        if not self._locks:
            return ()
        name = LOCK_EXIT_PROPERTY
        if any(p.name == name for p in self._props):
            p = next(p for p in self._props if p.name == name)
            raise ModelError(f"property name {name!r} is reserved for the built-in lock check; rename yours",
                             p.loc, f"model {self.name}")
        parts: list[Expr] = []
        for t in threads:
            rests: list[Expr] = [AtStep(t.name, (END,), t.loc)]
            for s in t.steps:
                if s.end_ok:
                    enabled = [c.guard for c in s.cases]
                    rests.append(And(AtStep(t.name, (s.name,), s.loc), Not(Or(*enabled))))
            at_exit = rests[0] if len(rests) == 1 else Or(*rests)
            me = Const(self.OWNER, t.index + 1)
            owned = _owner_writes(threads, t.index + 1)
            for lock in self._locks:
                if any(lk is lock and th in (None, t.name) for lk, th, _, _ in self._held_ok):
                    continue
                # A thread that never writes itself into the lock's owner variable cannot hold it: leaving
                # it out keeps the property's reads (and the explicit engine's caches) small.
                if not any(id(d) in owned or any(me.value in vals for vals in d.init) for d in _owner_decls(lock)):
                    continue
                parts.append(Implies(at_exit, Not(lock.held_by_owner(me))))  # type: ignore[attr-defined]
        for lock in self._locks:
            readers = getattr(lock, "readers", None)
            if readers is not None and not any(lk is lock for lk, _, _, _ in self._held_ok):
                all_done = And(*[AtStep(t.name, (END,), t.loc) for t in threads])
                parts.append(Implies(all_done, readers == 0))
        if not parts:
            return ()
        doc = ("built-in: no thread finishes (or rests at an end step) holding a lock primitive, unless the "
               "model declares it with m.allow_held_at_exit (lockdep reports this class in the kernel)")
        return (Property("always", name, And(*parts) if len(parts) > 1 else parts[0], None, doc),)

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
            waits: list[Expr] = []  # Not(condition) of each earlier case of a branch that waits for a lock
            labels: set[str] = set()
            for ci, cs in enumerate(s.cases):
                loc = cs.loc or s.loc
                if cs.otherwise and (not s.ordered or ci != len(s.cases) - 1):
                    raise ModelError("otherwise(...) must be the last case of a branch(...)", loc, ctx)
                if cs.label is not None:
                    if not isinstance(cs.label, str) or not cs.label:
                        raise ModelError(f"case label {cs.label!r} must be a non-empty string", loc, ctx)
                    if cs.label in labels:
                        raise ModelError(f"case label {cs.label!r} is used twice in this step; give each case "
                                         "its own label (traces and coverage name cases by label)", loc, ctx)
                    labels.add(cs.label)
                guard, updates, select, blocking = self._merge(cs, tb, loc, ctx)
                if blocking and len(s.cases) > 1:
                    if not s.ordered:
                        raise ModelError(f"{blocking} waits for a lock inside a case of choose(...): the other "
                                         "cases would be taken while it is held; take the lock in a step of its "
                                         "own before the choose, or use the primitive's trylock", loc, ctx)
                    if select is None and ci != len(s.cases) - 1:
                        raise ModelError(f"{blocking} waits for a lock in a case without a condition, so the "
                                         "cases after it can never be taken; give the case a when= condition, "
                                         "move the acquisition to a step of its own, or use trylock", loc, ctx)
                # A case of a branch that waits for a lock is chosen by its own condition: while that holds
                # and the lock is taken, the thread waits here (the kernel's meaning), so every later case
                # also requires that condition to be false.
                if waits:
                    guard = And(guard, *waits)
                if blocking and s.ordered and select is not None:
                    waits.append(Not(select))
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
               ctx: str) -> tuple[Expr, list[Update], Expr | None, str | None]:
        """(guard, updates, selecting condition, the first waiting acquisition's name) of one case. The
        selecting condition is the guard without the waits of blocking fragments (None: always)."""
        guards: list[Expr] = []
        select: list[Expr] = []
        blocking: list[str] = []
        updates: dict[tuple[object, ...], Update] = {}
        order: list[tuple[object, ...]] = []

        def add_guard(g: object, waits: bool = False) -> None:
            if g is None:
                return
            try:
                e = lift(g)
            except ModelTypeError as err:
                raise ModelTypeError(f"guard: {err.message}", loc, ctx) from None
            if not isinstance(e.sort, BoolSort):
                raise ModelTypeError(f"guard {show(e)} is a {e.sort}, not a bool", loc, ctx)
            guards.append(e)
            if not waits:
                select.append(e)

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
            if f.blocking:
                blocking.append(f.blocking)
            add_guard(f.when, bool(f.blocking))
            add_updates(f.do)
        add_guard(cs.when)
        add_updates(cs.do)
        self._check_array_writes([updates[k] for k in order], loc, ctx)
        guard = guards[0] if len(guards) == 1 else And(*guards)
        sel = None if not select else select[0] if len(select) == 1 else And(*select)
        return guard, [updates[k] for k in order], sel, (blocking[0] if blocking else None)

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
                    thread: Thread | None, whole_array_ok: bool = False) -> None:
        _check_whole_arrays(e, whole_array_ok, loc, ctx)
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


LOCK_EXIT_PROPERTY = "locks_released_at_exit"


def _owner_decls(lock: object) -> list[VarDecl]:
    out = []
    for attr in ("owner", "writer"):
        v = getattr(lock, attr, None)
        if isinstance(v, VarRef):
            out.append(v.decl)
    return out


def _owner_writes(threads: tuple[Thread, ...], me: int) -> set[int]:
    """The variables (ids) that may ever hold the owner value ``me``: written with that constant by any
    thread, written with an owner value copied from elsewhere, or starting with it."""
    out: set[int] = set()
    for t in threads:
        for s in t.steps:
            for c in s.cases:
                for u in c.updates:
                    decl = u.target.decl if isinstance(u.target, VarRef) else u.target.array.decl
                    for n in walk(u.value):
                        if (isinstance(n, Const) and isinstance(n.sort, OwnerSort) and n.value == me) or (
                                isinstance(n, (VarRef, Elem)) and isinstance(n.sort, OwnerSort)):
                            out.add(id(decl))
    return out


def _check_whole_arrays(e: Expr, top_ok: bool, loc: SourceLoc | None, ctx: str) -> None:
    """A whole array is only indexed (``a[i]``), compared with ``==``/``!=`` to another array variable, or
    assigned as a whole (every engine encodes exactly these; an array inside ``Ite`` or compared with an
    ``ArrayOf`` has no symbolic encoding)."""
    from collapsecheck.expr.nodes import Cmp

    def visit(node: Expr, ok: bool) -> None:
        if isinstance(node.sort, ArraySort) and not ok:
            raise ModelTypeError(f"{show(node)} is a whole array here: index it (a[i]), compare two array variables "
                                 "with == or !=, or assign it whole (ArrayOf for a computed array)", loc, ctx)
        if isinstance(node, Elem):
            visit(node.array, True)
            visit(node.index, False)
        elif isinstance(node, Cmp) and isinstance(node.lhs.sort, ArraySort):
            if not (isinstance(node.lhs, VarRef) and isinstance(node.rhs, VarRef)):
                raise ModelTypeError(f"{show(node)}: only two array variables can be compared whole; compare "
                                     "elements (ForAll(N, lambda i: a[i] == ...))", loc, ctx)
        else:
            for ch in node.children():
                visit(ch, False)

    visit(e, top_ok)


def _reads(e: Expr) -> list[VarDecl]:
    """The variables an expression reads, in walk order, each once."""
    out: dict[int, VarDecl] = {}
    for node in walk(e):
        if isinstance(node, VarRef):
            out.setdefault(id(node.decl), node.decl)
        elif isinstance(node, Elem):
            out.setdefault(id(node.array.decl), node.array.decl)
    return list(out.values())


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
