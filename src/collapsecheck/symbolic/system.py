"""The transition system of a frozen model, built from its expression trees through ``encode.py``.

A *frame* is one state: a Z3 term per state key (scalar variable, program counter, array element or
tracked copy). :class:`System` gives the initial-state predicate, the effective guard and next values of
every action (ordered steps use ``Step.effective_guards()``: the first enabled case wins), the transition
relation as a selector-indexed function (``sel == a`` picks action ``a``; every key not written keeps its
value, which is the frame condition), and the *targets* the engines look for: a violated ``always``
property, a reachable ``sometimes`` witness, a deadlock, and an update outside its variable's range (the
explicit engine stops with a model error there).

Without a reduction the frame is the explicit engine's state tuple, slot for slot. With one
(``reduction.Reduction``), arrays over the abstracted size keep only their tracked copies and the size may
be a Z3 variable. This module builds formulas; it must not create solvers or decide verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import z3

from collapsecheck.errors import ModelError
from collapsecheck.expr.nodes import ArrayOf, Elem, VarRef
from collapsecheck.expr.sorts import ArraySort, IntRange, Size, Sort
from collapsecheck.model.core import Model, Property, VarDecl
from collapsecheck.symbolic.encode import (
    ArrayVal,
    Encoder,
    FlatArray,
    Havoc,
    Sizes,
    TrackedArray,
    domain,
    z3_sort,
)
from collapsecheck.symbolic.reduction import Reduction

Key = tuple  # ("v", decl id) | ("pc", thread) | ("e", decl id, element or tracked copy)


@dataclass(frozen=True)
class KeyInfo:
    key: Key
    name: str  # model name of the slot: "collapse.index", "slot[1]", "slot[p0]", "page_fault.pc"
    sort: Sort
    decl: VarDecl | None  # None for program counters
    elem: int  # element index (flat) or tracked copy number


class Frame:
    """The terms of one state (consts for a BMC frame, arbitrary terms during symbolic execution)."""

    def __init__(self, system: "System", tag: str, vals: dict[Key, z3.ExprRef]) -> None:
        self.system = system
        self.tag = tag
        self.vals = vals

    def scalar(self, decl: VarDecl) -> z3.ExprRef:
        return self.vals[("v", id(decl))]

    def pc(self, thread: int) -> z3.ArithRef:
        return self.vals[("pc", thread)]  # type: ignore[return-value]

    def array(self, decl: VarDecl) -> ArrayVal:
        return self.system.array_view(self, decl)

    def terms(self) -> list[z3.ExprRef]:
        return [self.vals[k.key] for k in self.system.keys]


@dataclass(frozen=True)
class Target:
    """Something the engines search for: ``kind`` is always (a violation), sometimes (a witness),
    deadlock, or range (an update outside its variable's range)."""

    kind: str
    name: str
    prop: Property | None = None


class System:
    """The Z3 transition system of ``model``, flat or under ``reduction``."""

    def __init__(self, model: Model, reduction: Reduction | None = None) -> None:
        self.model = model
        self.reduction = reduction
        values = {s.name: s.value for s in model.sizes}
        self.params: list[z3.ExprRef] = []  # constants of a run: a symbolic size, the tracked indices
        if reduction is not None:
            n_term = None
            if reduction.symbolic:
                n_term = z3.Int(reduction.size)
                self.params.append(n_term)
            self.sizes = Sizes(values, reduction.size, n_term if n_term is not None
                               else z3.IntVal(values[reduction.size]))
            self.tracked = [z3.Int(f"p{j}") for j in range(reduction.tracked + len(reduction.pinned))]
            self.params += self.tracked
            # (tracked index, variable) for every pinned index variable: p_j always equals it
            self.pinned_values = [(reduction.tracked + j, v) for j, v in enumerate(reduction.pinned)]
        else:
            self.sizes = Sizes(values)
            self.tracked = []
            self.pinned_values = []
        self.enc = Encoder(model, self.sizes, self.tracked)
        self.keys: list[KeyInfo] = []
        self._tracked_decls: set[int] = set()
        for d in model.globals:
            self._add_var(d)
        for t in model.threads:
            self.keys.append(KeyInfo(("pc", t.index), f"{t.name}.pc", IntRange(0, len(t.steps)), None, 0))
            for d in t.locals:
                self._add_var(d)
        self._action_cache: dict[tuple[str, int], tuple[z3.BoolRef, dict[Key, z3.ExprRef], z3.BoolRef]] = {}

    # ------------------------------------------------------------------------------------ layout
    def is_tracked(self, decl: VarDecl) -> bool:
        return id(decl) in self._tracked_decls

    def _add_var(self, d: VarDecl) -> None:
        if not isinstance(d.sort, ArraySort):
            self.keys.append(KeyInfo(("v", id(d)), d.qualname, d.sort, d, 0))
            return
        if self.reduction is not None and self.sizes.is_abstract(d.sort.size):
            self._tracked_decls.add(id(d))
            for j in range(len(self.tracked)):
                self.keys.append(KeyInfo(("e", id(d), j), f"{d.qualname}[p{j}]", d.sort.elem, d, j))
            return
        for k in range(self.sizes.concrete(d.sort.size)):
            self.keys.append(KeyInfo(("e", id(d), k), f"{d.qualname}[{k}]", d.sort.elem, d, k))

    def frame(self, tag: str) -> Frame:
        """A frame of fresh constants named ``<slot>@<tag>``."""
        return Frame(self, tag, {k.key: z3.Const(f"{k.name}@{tag}", z3_sort(k.sort)) for k in self.keys})

    def frame_of(self, terms: list[z3.ExprRef], tag: str) -> Frame:
        return Frame(self, tag, {k.key: t for k, t in zip(self.keys, terms)})

    def array_view(self, f: Frame, decl: VarDecl) -> ArrayVal:
        assert isinstance(decl.sort, ArraySort)
        if self.is_tracked(decl):
            return TrackedArray(decl.sort.elem, [f.vals[("e", id(decl), j)] for j in range(len(self.tracked))],
                                self.tracked, decl.qualname)
        n = self.sizes.concrete(decl.sort.size)
        return FlatArray(decl.sort.elem, [f.vals[("e", id(decl), k)] for k in range(n)], decl.qualname)

    def _elem_keys(self, decl: VarDecl) -> Iterator[tuple[Key, z3.ArithRef]]:
        """(key, index term) of each element or tracked copy of an array."""
        if self.is_tracked(decl):
            for j, p in enumerate(self.tracked):
                yield ("e", id(decl), j), p
        else:
            assert isinstance(decl.sort, ArraySort)
            for k in range(self.sizes.concrete(decl.sort.size)):
                yield ("e", id(decl), k), z3.IntVal(k)

    # ---------------------------------------------------------------------------- constraints
    def param_constraints(self) -> z3.BoolRef:
        """The symbolic size is at least its minimum; tracked indices lie inside the tracked arrays."""
        out: list[z3.BoolRef] = []
        red = self.reduction
        if red is not None:
            if red.symbolic:
                out.append(self.sizes.term(Size(red.size, 0)) >= red.n_min)
            n = self.sizes.term(Size(red.size, 0)) + red.array_offset
            out += [z3.And(0 <= p, p < n) for p in self.tracked]
        return z3.And(out) if out else z3.BoolVal(True)

    def domain(self, f: Frame) -> z3.BoolRef:
        """Every key holds a value of its sort; two tracked copies of one array agree when their indices do."""
        out = [domain(k.sort, f.vals[k.key], self.sizes) for k in self.keys]
        by_name = {k.name: k for k in self.keys}
        for j, v in self.pinned_values:
            out.append(f.vals[by_name[v].key] == self.tracked[j])
        for d in self.model.all_vars():
            if self.is_tracked(d):
                for i in range(len(self.tracked)):
                    for j in range(i + 1, len(self.tracked)):
                        out.append(z3.Implies(self.tracked[i] == self.tracked[j],
                                              f.vals[("e", id(d), i)] == f.vals[("e", id(d), j)]))
        return z3.And([c for c in out if not z3.is_true(c)])

    def init(self, f: Frame, hv: Havoc) -> z3.BoolRef:
        """Initial states: each slot among its declared choices, then the model's ``assume_init``."""
        out: list[z3.BoolRef] = []
        for k in self.keys:
            x = f.vals[k.key]
            if k.decl is None:
                out.append(x == 0)
                continue
            if self.is_tracked(k.decl):
                # Every element of a size-generic array has the same choices (reduction.py checks it).
                choices = sorted({v for c in k.decl.init for v in c})
            else:
                choices = list(k.decl.init[k.elem])
            if self.reduction is not None and self.reduction.full_range(k.decl):
                continue  # "any value of the sort": the domain constraint says it
            out.append(z3.Or([x == _lit(k.sort, v) for v in choices]))
        for c in self.model.init_constraints:
            out.append(self.enc.term(c, f, hv))
        return z3.And(out)

    # -------------------------------------------------------------------------------- actions
    def guards(self, f: Frame, hv: Havoc) -> list[list[list[z3.BoolRef]]]:
        """guards[thread][step][case]: each case guard evaluated once per frame (shared havoc)."""
        return [[[self.enc.term(c.guard, f, hv) for c in s.cases] for s in t.steps] for t in self.model.threads]

    def effective(self, gs: list[z3.BoolRef], ordered: bool) -> list[z3.BoolRef]:
        if not ordered:
            return gs
        return [z3.And([z3.Not(g) for g in gs[:k]] + [gs[k]]) if k else gs[0] for k in range(len(gs))]

    def enabling(self, aid: int, f: Any, hv: Havoc, guards: list[list[list[z3.BoolRef]]] | None
                 ) -> tuple[Any, z3.BoolRef, dict[Key, z3.ExprRef]]:
        """(the action's case, its enabling condition, {program counter: its goto}); shared with the
        array encoding of the prove engine."""
        a = self.model.actions[aid]
        step = self.model.threads[a.thread].steps[a.step]
        case = step.cases[a.case]
        gs = guards[a.thread][a.step] if guards is not None else [self.enc.term(c.guard, f, hv) for c in step.cases]
        eff = self.effective(gs, step.ordered)[a.case]
        return case, z3.And(f.pc(a.thread) == a.step, eff), {("pc", a.thread): z3.IntVal(case.goto)}

    def action(self, aid: int, f: Frame, hv: Havoc, guards: list[list[list[z3.BoolRef]]] | None = None
               ) -> tuple[z3.BoolRef, dict[Key, z3.ExprRef], z3.BoolRef]:
        """(enabled, {key: next value of every key the action writes}, writes out of range).

        ``guards`` is the table of :meth:`guards` when several actions of one frame are encoded; without
        it only this step's guards are encoded (symbolic execution of one action)."""
        case, enabled, nxt = self.enabling(aid, f, hv, guards)
        bad: list[z3.BoolRef] = []
        enc = self.enc
        for u in case.updates:
            tgt = u.target
            if isinstance(tgt, Elem):
                decl = tgt.array.decl
                assert isinstance(decl.sort, ArraySort)
                idx = enc.term(tgt.index, f, hv)
                val = enc.term(u.value, f, hv)
                bad.append(z3.Not(z3.And(0 <= idx, idx < self.sizes.term(decl.sort.size))))
                bad.append(z3.Not(domain(decl.sort.elem, val, self.sizes)))
                for key, p in self._elem_keys(decl):
                    if z3.is_int_value(idx) and z3.is_int_value(p):
                        if idx.as_long() == p.as_long():  # type: ignore[attr-defined]
                            nxt[key] = val
                    else:
                        nxt[key] = z3.If(idx == p, val, f.vals[key])
                continue
            decl = tgt.decl
            if isinstance(decl.sort, ArraySort):
                for key, p in self._elem_keys(decl):
                    if isinstance(u.value, ArrayOf):
                        val = enc.term(u.value.body, f, hv, {id(u.value.var): p})
                    else:
                        assert isinstance(u.value, VarRef)
                        val = f.array(u.value.decl).read(p, hv)
                    nxt[key] = val
                    bad.append(z3.Not(domain(decl.sort.elem, val, self.sizes)))
                continue
            val = enc.term(u.value, f, hv)
            nxt[("v", id(decl))] = val
            bad.append(z3.Not(domain(decl.sort, val, self.sizes)))
        bad = [b for b in bad if not z3.is_false(b)]
        return enabled, nxt, (z3.And(enabled, z3.Or(bad)) if bad else z3.BoolVal(False))

    def actions(self, f: Frame, hv: Havoc) -> list[tuple[z3.BoolRef, dict[Key, z3.ExprRef], z3.BoolRef]]:
        gs = self.guards(f, hv)
        return [self.action(a.id, f, hv, gs) for a in self.model.actions]

    def trans(self, f0: Frame, f1: Frame, sel: z3.ArithRef, hv: Havoc) -> z3.BoolRef:
        """One step from f0 to f1 by action ``sel`` (frame conditions included)."""
        acts = self.actions(f0, hv)
        out: list[z3.BoolRef] = [0 <= sel, sel < len(acts)]
        writes: dict[Key, list[tuple[int, z3.ExprRef]]] = {}
        for aid, (en, nxt, _) in enumerate(acts):
            out.append(z3.Implies(sel == aid, en))
            for key, val in nxt.items():
                writes.setdefault(key, []).append((aid, val))
        for k in self.keys:
            val = f0.vals[k.key]
            for aid, v in reversed(writes.get(k.key, [])):
                val = z3.If(sel == aid, v, val)
            out.append(f1.vals[k.key] == val)
        return z3.And(out + hv.side)

    def step_frame(self, aid: int, f: Frame, hv: Havoc, tag: str) -> tuple[z3.BoolRef, Frame]:
        """Symbolic execution of one given action: (its enabling condition, the next frame's terms)."""
        en, nxt, _ = self.action(aid, f, hv)
        vals = dict(f.vals)
        for key, val in nxt.items():
            vals[key] = z3.simplify(val)
        return en, Frame(self, tag, vals)

    # -------------------------------------------------------------------------------- targets
    def targets(self) -> list[Target]:
        out = [Target("always", p.name, p) for p in self.model.always]
        if self.model.check_deadlock:
            out.append(Target("deadlock", "deadlock"))
        out.append(Target("range", "range"))
        return out

    def witness_targets(self) -> list[Target]:
        return [Target("sometimes", p.name, p) for p in self.model.sometimes]

    def target(self, tg: Target, f: Frame, hv: Havoc) -> z3.BoolRef:
        """The formula that frame ``f`` reaches ``tg`` (for the reduction: can reach, for some tracking)."""
        if tg.kind == "always":
            assert tg.prop is not None
            return self.enc.reach(tg.prop.expr, f, hv, want=False)
        if tg.kind == "sometimes":
            assert tg.prop is not None
            return self.enc.reach(tg.prop.expr, f, hv, want=True)
        if tg.kind == "deadlock":
            return self.deadlock(f, hv)
        if tg.kind == "range":
            return z3.Or([bad for _, _, bad in self.actions(f, hv)])
        raise ValueError(tg.kind)

    def deadlock(self, f: Frame, hv: Havoc) -> z3.BoolRef:
        """No case of any thread is enabled and some thread is neither finished nor at an end label."""
        gs = self.guards(f, hv)
        stuck, not_ok = [], []
        for t in self.model.threads:
            pc = f.pc(t.index)
            for k, s in enumerate(t.steps):
                stuck.append(z3.Implies(pc == k, z3.Not(z3.Or(gs[t.index][k]))))
            ok = [len(t.steps)] + [k for k, s in enumerate(t.steps) if s.end_ok]
            not_ok.append(z3.And([pc != k for k in ok]))
        return z3.And(stuck + [z3.Or(not_ok)])

    def check_supported(self) -> None:
        """Refuse what the encoding cannot represent faithfully (before any solver runs)."""
        for d in self.model.all_vars():
            if isinstance(d.sort, ArraySort) and not self.is_tracked(d) and self.sizes.concrete(d.sort.size) > 4096:
                raise ModelError(f"{d.qualname} has {self.sizes.concrete(d.sort.size)} elements: too many to "
                                 "flatten; use the page-count reduction (--symbolic-size or a size-generic model)")


def _lit(sort: Sort, v: int) -> z3.ExprRef:
    from collapsecheck.symbolic.encode import value_term

    return value_term(sort, v)
