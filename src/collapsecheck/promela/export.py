"""Writes a frozen model as Promela whose reachable states are, one for one, those of the explicit engine.

Encoding (chosen so that SPIN's "states, stored" with -DNOREDUCE and exact storage equals our count):

* every variable (thread locals included) is a global; arrays stay arrays; enums and lock owners are
  ``#define`` constants with the same numbers the engine stores;
* one ``active proctype`` per thread; step ``k`` is the label ``S<k>_<name>`` on an ``if`` with one option
  per case, ``:: d_step { guard -> updates }; goto <target>``. A d_step is one transition and SPIN's jump
  elimination folds the ``goto`` into it, so one step = one transition = one stored state, as here;
  ordered steps use the first-match guards (``!g0 && g1``), so the ``if`` stays deterministic;
* the program counter is SPIN's own: properties read it with remote references (``collapse[0]@S5_...``);
  the end of a thread is the blocked statement ``end_done: false``, so a finished process is never
  deleted (deletion would be an extra SPIN state) and counts as a valid end state;
* ``end_ok`` steps carry an ``end`` label, so SPIN's invalid-end-state check is our deadlock check;
* ``always`` properties are checked by a ``monitor`` process, ``:: d_step { !(P) -> assert(P) }``: it is
  enabled only in violating states and its step is a self-loop, so it adds no state;
* nondeterministic initial states: SPIN has one initial state, so it starts in a representative initial
  state ``r`` (one whose arrays are uniform, so Promela initialisers can express it), and a ``setup``
  process can jump from exactly ``r`` to every other initial state (an ``atomic`` choice, whose inner
  states SPIN does not store). That adds edges out of ``r`` and no states: exact counts. When no initial
  state qualifies (an array with mixed initial values in every choice, or ``r`` would be a deadlock that
  the extra edges hide), an ``init`` process picks the initial state and spawns the threads instead; SPIN
  then stores exactly one more state (the one before ``init`` runs), reported as ``state_offset = 1``.

With ``instrument`` the monitor also prints ``collapsecheck: violated <k>`` (once per property, through a
``hidden`` bit mask that is not part of the state) so a driver learns every violated property from one
run of ``pan -c0`` compiled with ``-DPRINTF``. ``sometimes`` and ``progress`` properties are not exported
(SPIN has no reachability witnesses; non-progress cycles would need ``progress`` labels and ``-l``).
This module only writes text; it must not run SPIN or decide verdicts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from collapsecheck.errors import ModelError
from collapsecheck.expr.nodes import (
    And,
    Arith,
    ArrayOf,
    AtStep,
    BoundVar,
    Cmp,
    Const,
    Count,
    Elem,
    Expr,
    Implies,
    Ite,
    Not,
    Or,
    Quant,
    SizeRef,
    VarRef,
    show,
    walk,
)
from collapsecheck.expr.sorts import ArraySort, BoolSort, EnumSort, IntRange, OwnerSort, Sort, bound_value
from collapsecheck.explicit import initial
from collapsecheck.model import semantics
from collapsecheck.model.core import Model, Step, Thread

# Words Promela (and the C code SPIN generates) reserves; a model name that collides gets a trailing "_".
_RESERVED = set("""
active assert atomic bit bool break byte chan d_step d_proctype do else empty enabled eval false fi for
full get_priority goto hidden if in init inline int len local ltl mtype nempty never nfull notrace od of
pc_value print printf printm priority proctype provided run select set_priority short show skip timeout
trace true typedef unless unsigned xr xs c_code c_decl c_expr c_state c_track np_ now this_proc
_pid _nr_pr _last _priority main exit abort
""".split())


@dataclass(frozen=True)
class PromelaModel:
    """The exported text and what a driver needs to compare SPIN's figures with ours."""

    text: str
    state_offset: int  # SPIN's stored states minus collapsecheck's distinct states (0 or 1, see above)
    properties: tuple[str, ...]  # the always properties; index k is the number the monitor prints
    initial_states: int


def _ident(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not s or s[0].isdigit():
        s = "_" + s
    return s + "_" if s in _RESERVED else s


def _ctype(sort: Sort) -> str:
    if isinstance(sort, BoolSort):
        return "bool"
    if isinstance(sort, IntRange):
        lo, hi = sort.lo_v, sort.hi_v
        if lo >= 0 and hi <= 255:
            return "byte"
        if lo >= -32768 and hi <= 32767:
            return "short"
        return "int"
    return "byte"  # enums and owners: small non-negative numbers


class _Writer:
    def __init__(self, model: Model, instrument: bool) -> None:
        self.m = model
        self.instrument = instrument
        self.var: dict[int, str] = {}
        used: set[str] = set()
        for d in model.all_vars():
            base = _ident(d.qualname)
            name = base
            while name in used:
                name += "_"
            used.add(name)
            self.var[id(d)] = name
        self.proc: list[str] = []
        for t in model.threads:
            name = _ident(t.name)
            while name in used or name in ("monitor", "setup"):
                name += "_t"
            used.add(name)
            self.proc.append(name)
        self.pid = list(range(len(model.threads)))  # active proctypes get pids in declaration order
        # SPIN forbids remote references (proc[pid]@label) inside d_step, so a thread whose position
        # another thread's step reads also keeps its pc in a variable, set in each of its d_steps. The
        # variable is a function of SPIN's own pc, so it adds no state.
        self.pc_var: dict[int, str] = {}
        for t in model.threads:
            for step in t.steps:
                for c in step.cases:
                    for e in (c.guard, *(u.value for u in c.updates)):
                        for n in walk(e):
                            if isinstance(n, AtStep) and n.thread != t.name:
                                o = model.thread(n.thread)
                                name = _ident(f"{o.name}_pc")
                                while name in used:
                                    name += "_"
                                used.add(name)
                                self.pc_var.setdefault(o.index, name)
        self.temps = 0
        self.consts: list[str] = []
        self._const_names: dict[tuple[int, int], str] = {}

    # --------------------------------------------------------------------------------- naming
    def label(self, t: Thread, pc: int) -> str:
        if pc == t.end:
            return "end_done"
        step = t.steps[pc]
        name = f"S{pc}_{_ident(step.name).strip('_')}"
        return ("end_" + name) if (step.end_ok or not self.m.check_deadlock) else name

    def const(self, sort: Sort, value: int) -> str:
        if isinstance(sort, BoolSort):
            return "true" if value else "false"
        if isinstance(sort, EnumSort):
            return self._named(sort, value, f"{_ident(sort.name)}_{_ident(sort.members[value])}")
        if isinstance(sort, OwnerSort):
            who = "NOBODY" if value == 0 else f"OWNER_{_ident(sort.names[value - 1])}"
            return self._named(sort, value, who)
        return str(int(value))

    def _named(self, sort: Sort, value: int, name: str) -> str:
        key = (id(sort), value)
        if key not in self._const_names:
            self._const_names[key] = name
            self.consts.append(f"#define {name}\t{int(value)}")
        return self._const_names[key]

    def declare_consts(self) -> None:
        """Every enum member and owner gets its #define, used or not, so the header reads as a legend."""
        seen: set[int] = set()
        for d in self.m.all_vars():
            s = d.elem_sort
            if id(s) in seen:
                continue
            seen.add(id(s))
            if isinstance(s, (EnumSort, OwnerSort)):
                for v in s.values():
                    self.const(s, v)

    # ----------------------------------------------------------------------------- expressions
    def fold(self, e: Expr, sub: dict[int, int]) -> int | None:
        """The value of an index expression that is constant once bound variables are substituted."""
        if isinstance(e, Const):
            return int(e.value)
        if isinstance(e, SizeRef):
            return e.size.value
        if isinstance(e, BoundVar):
            return sub.get(id(e))
        if isinstance(e, Arith):
            a, b = self.fold(e.lhs, sub), self.fold(e.rhs, sub)
            if a is None or b is None:
                return None
            return a + b if e.op == "+" else a - b
        return None

    def ex(self, e: Expr, sub: dict[int, int], me: tuple[int, int] | None) -> str:
        """Promela text of ``e``; ``me`` = (thread index, pc) when ``e`` runs inside that thread's step,
        where the thread's own program counter is a known constant."""
        x = lambda n: self.ex(n, sub, me)  # noqa: E731
        if isinstance(e, Const):
            return self.const(e.sort, e.value)
        if isinstance(e, VarRef):
            if isinstance(e.sort, ArraySort):
                raise ModelError(f"{show(e)}: a whole array can only be assigned, not used as a value")
            return self.var[id(e.decl)]
        if isinstance(e, SizeRef):
            return str(e.size.value)
        if isinstance(e, BoundVar):
            return str(sub[id(e)])
        if isinstance(e, AtStep):
            t = self.m.thread(e.thread)
            pcs = sorted({t.step_index(lab) for lab in e.labels})
            if me is not None and me[0] == t.index:
                return "true" if me[1] in pcs else "false"
            if t.index in self.pc_var:
                return "(" + " || ".join(f"{self.pc_var[t.index]} == {pc}" for pc in pcs) + ")"
            refs = [f"{self.proc[t.index]}[{self.pid[t.index]}]@{self.label(t, pc)}" for pc in pcs]
            return "(" + " || ".join(refs) + ")"
        if isinstance(e, Not):
            return f"!({x(e.arg)})"
        if isinstance(e, And):
            return "(" + " && ".join(x(a) for a in e.args) + ")" if e.args else "true"
        if isinstance(e, Or):
            return "(" + " || ".join(x(a) for a in e.args) + ")" if e.args else "false"
        if isinstance(e, Implies):
            return f"(!({x(e.lhs)}) || {x(e.rhs)})"
        if isinstance(e, Ite):
            return f"({x(e.cond)} -> {x(e.then)} : {x(e.other)})"
        if isinstance(e, (Cmp, Arith)):
            return f"({x(e.lhs)} {e.op} {x(e.rhs)})"
        if isinstance(e, Elem):
            k = self.fold(e.index, sub)
            name = self.var[id(e.array.decl)]
            return f"{name}[{k}]" if k is not None else f"{name}[{x(e.index)}]"
        if isinstance(e, (Quant, Count)):
            parts = []
            for k in range(bound_value(e.var.size)):
                parts.append(self.ex(e.body, {**sub, id(e.var): k}, me))
            if isinstance(e, Count):
                return "(" + " + ".join(f"({p} -> 1 : 0)" for p in parts) + ")"
            return "(" + (" && " if e.kind == "forall" else " || ").join(parts) + ")"
        if isinstance(e, ArrayOf):
            raise ModelError(f"{show(e)}: ArrayOf can only be assigned to an array variable")
        raise TypeError(f"unknown expression node {type(e).__name__}")

    def slots_read(self, e: Expr, sub: dict[int, int]) -> set[int]:
        """State slots ``e`` may read (a run-time index reads the whole array)."""
        lay = self.m.layout
        out: set[int] = set()
        for n in walk(e):
            if isinstance(n, VarRef):
                d = n.decl
                out.update(range(lay.slot_of(d), lay.slot_of(d) + d.width))
            elif isinstance(n, Elem):
                k = self.fold(n.index, sub)
                d = n.array.decl
                if k is not None:
                    out.add(lay.slot_of(d, k))
                else:
                    out.update(range(lay.slot_of(d), lay.slot_of(d) + d.width))
        return out

    # ------------------------------------------------------------------------------- updates
    def case_body(self, t: Thread, pc: int, updates: tuple) -> list[str]:
        """Statements of one case's d_step, with simultaneous-assignment semantics preserved: a value
        (or a run-time index) that reads a slot an earlier assignment wrote is computed into a hidden
        temporary first."""
        lay = self.m.layout
        me = (t.index, pc)
        plan: list[tuple[str, str | None, str, set[int], set[int], Sort, Sort | None]] = []
        # (array-or-var name, index text or None, value text, writes, reads, target sort, value sort)
        for u in updates:
            tgt = u.target
            if isinstance(tgt, Elem):
                d = tgt.array.decl
                k = self.fold(tgt.index, {})
                idx = str(k) if k is not None else self.ex(tgt.index, {}, me)
                writes = {lay.slot_of(d, k)} if k is not None else set(range(lay.slot_of(d), lay.slot_of(d) + d.width))
                reads = self.slots_read(u.value, {}) | (set() if k is not None else self.slots_read(tgt.index, {}))
                plan.append((self.var[id(d)], idx, self.ex(u.value, {}, me), writes, reads, d.elem_sort, u.value.sort))
                continue
            d = tgt.decl
            if isinstance(d.sort, ArraySort):
                for k in range(d.sort.size_v):
                    if isinstance(u.value, ArrayOf):
                        sub = {id(u.value.var): k}
                        val, reads, vs = (self.ex(u.value.body, sub, me), self.slots_read(u.value.body, sub),
                                          u.value.body.sort)
                    else:
                        src = u.value.decl  # type: ignore[union-attr]
                        val, reads, vs = (f"{self.var[id(src)]}[{k}]", {lay.slot_of(src, k)}, src.elem_sort)
                    plan.append((self.var[id(d)], str(k), val, {lay.slot_of(d, k)}, reads, d.sort.elem, vs))
            else:
                plan.append((self.var[id(d)], None, self.ex(u.value, {}, me), {lay.slot_of(d)},
                             self.slots_read(u.value, {}), d.sort, u.value.sort))
        pre: list[str] = []
        out: list[str] = []
        written: set[int] = set()
        for name, idx, val, writes, reads, tsort, vsort in plan:
            needs_check = isinstance(tsort, IntRange) and not (
                isinstance(vsort, IntRange) and tsort.lo_v <= vsort.lo_v and vsort.hi_v <= tsort.hi_v)
            if reads & written or needs_check:
                tmp = self.temp()
                pre.append(f"{tmp} = {val}")
                val = tmp
                if needs_check:
                    assert isinstance(tsort, IntRange)
                    pre.append(f"assert({tsort.lo_v} <= {tmp} && {tmp} <= {tsort.hi_v})")
            if idx is not None and not idx.isdigit() and reads & written:
                tmp = self.temp()
                pre.append(f"{tmp} = {idx}")
                idx = tmp
            out.append(f"{name}[{idx}] = {val}" if idx is not None else f"{name} = {val}")
            written |= writes
        return pre + out

    def temp(self) -> str:
        self.temps += 1
        return f"_tmp{self.temps}"

    # ------------------------------------------------------------------------------- processes
    def step_lines(self, t: Thread, pc: int, step: Step) -> list[str]:
        me = (t.index, pc)
        guards = step.effective_guards()
        lines = [f"{self.label(t, pc)}:\t/* {step.name}{' (ordered)' if step.ordered and len(step.cases) > 1 else ''} */",
                 "\tif"]
        for c, g in zip(step.cases, guards):
            body = self.case_body(t, pc, c.updates)
            if t.index in self.pc_var:
                body.append(f"{self.pc_var[t.index]} = {c.goto}")
            stmts = "; ".join(body) if body else "skip"
            note = f"\t/* {c.label} */" if c.label else ""
            lines.append(f"\t:: d_step {{ {self.ex(g, {}, me)} -> {stmts} }}; goto {self.label(t, c.goto)}{note}")
        lines.append("\tfi;")
        return lines

    def proctype(self, t: Thread, active: bool) -> list[str]:
        head = f"{'active ' if active else ''}proctype {self.proc[t.index]}()"
        lines = [f"/* thread {t.name}: pid {self.pid[t.index]} */", head + " {"]
        for pc, step in enumerate(t.steps):
            lines += self.step_lines(t, pc, step)
        lines.append("end_done:\t/* END: a finished thread stays here, a valid end state */")
        lines.append("\tfalse")
        lines.append("}")
        return lines

    def monitor(self, active: bool) -> list[str]:
        props = self.m.always
        if not props:
            return []
        lines = ["/* the always properties: enabled only in a violating state, and a self-loop there */",
                 f"{'active ' if active else ''}proctype monitor() {{", "end_monitor:", "\tdo"]
        for k, p in enumerate(props):
            e = self.ex(p.expr, {}, None)
            report = ""
            if self.instrument:
                report = (f"if :: !((_violated >> {k}) & 1) -> _violated = _violated | {1 << k}; "
                          f"printf(\"collapsecheck: violated {k}\\n\") :: else -> skip fi; ")
            lines.append(f"\t:: atomic {{ !({e}) -> {report}assert({e}) }}\t/* {p.name} */")
        lines += ["\tod", "}"]
        return lines


def _assignments(w: _Writer, model: Model, state: tuple, base: tuple | None) -> list[str]:
    """Assignments that turn ``base`` (or the Promela defaults) into ``state``, non-pc slots only."""
    out = []
    for k, slot in enumerate(model.layout.slots):
        if slot.decl is None or (base is not None and base[k] == state[k]):
            continue
        name = w.var[id(slot.decl)]
        lhs = f"{name}[{slot.elem}]" if isinstance(slot.decl.sort, ArraySort) else name
        out.append(f"{lhs} = {w.const(slot.sort, state[k])}")
    return out


def _uniform(model: Model, s: tuple) -> bool:
    for d in model.all_vars():
        if isinstance(d.sort, ArraySort):
            base = model.layout.slot_of(d)
            if len(set(s[base:base + d.width])) > 1:
                return False
    return True


def _representative(model: Model, inits: list[tuple]) -> tuple | None:
    """An initial state SPIN can start in (uniform arrays) whose extra setup edges hide no deadlock."""
    for s in inits:
        if _uniform(model, s) and (any(True for _ in semantics.successors(model, s)) or
                                   semantics.terminal_ok(model, s)):
            return s
    return None


def export(model: Model, *, instrument: bool = False) -> PromelaModel:
    """The Promela text of ``model`` (see the module docstring for the encoding and its exactness)."""
    w = _Writer(model, instrument)
    w.declare_consts()
    inits = initial.initial_states(model)
    if not inits:
        raise ModelError("the model has no initial state (assume_init excludes every choice)", None,
                         f"model {model.name}")
    rep = inits[0] if len(inits) == 1 else _representative(model, inits)
    exact = rep is not None
    if not exact:
        w.pid = [k + 1 for k in range(len(model.threads))]  # init is pid 0 and spawns the threads
    start = rep if exact else inits[0]

    body: list[str] = []
    decls: list[str] = []
    for d in model.all_vars():
        name = w.var[id(d)]
        s = start[model.layout.slot_of(d)]
        init = f" = {w.const(d.elem_sort, s)}" if exact else ""
        dim = f"[{d.sort.size_v}]" if isinstance(d.sort, ArraySort) else ""
        note = f"\t/* {d.doc} */" if d.doc else ""
        decls.append(f"{_ctype(d.elem_sort)} {name}{dim}{init};{note}")
    for t in model.threads:
        if t.index in w.pc_var:
            decls.append(f"byte {w.pc_var[t.index]} = 0;\t/* step index of {t.name} (read inside other d_steps) */")
    for t in model.threads:
        body += [""] + w.proctype(t, active=exact)
    body += [""] + w.monitor(active=exact)

    # The initial states are a product of independent choices (slots that no assume_init ties
    # together); one nondeterministic `if` per group keeps pan.c small.
    groups = [(slots, combos) for slots, combos in initial.factored(model) if len(combos) > 1]

    def choice_ifs(ind: str, base: tuple | None) -> list[str]:
        out = []
        for slots, combos in groups:
            out.append(f"{ind}if")
            for combo in combos:
                st = list(start)
                for k, v in zip(slots, combo):
                    st[k] = v
                out.append(f"{ind}:: {'; '.join(_assignments(w, model, tuple(st), base)) or 'skip'}")
            out.append(f"{ind}fi;")
        return out

    if exact and len(inits) > 1:
        pcs = [f"{w.proc[t.index]}[{w.pid[t.index]}]@{w.label(t, 0)}" for t in model.threads]
        same = pcs + [a.replace(" = ", " == ") for a in _assignments(w, model, rep, None)]  # state == r
        body += ["", "/* SPIN has one initial state (the representative r declared above); from exactly r this",
                 "   process jumps to each other initial state. Inner states of an atomic are not stored, so",
                 "   this adds edges out of r and no state. */",
                 "active proctype setup() {", "end_setup:", "\tdo",
                 f"\t:: atomic {{ ({' && '.join(same)}) ->"] + choice_ifs("\t\t", rep) + ["\t\tskip }", "\tod", "}"]
    elif not exact:
        runs = [f"run {w.proc[t.index]}()" for t in model.threads] + (["run monitor()"] if model.always else [])
        body += ["", "/* SPIN stores one extra state: the one before init has chosen and spawned. */",
                 "init {", "\tatomic {"] + choice_ifs("\t", None) + ["\t" + "; ".join(runs), "\t}", "}"]

    params = " ".join(f"{k}={v}" for k, v in model.params)
    header = [
        f"/* {model.name}{(' ' + params) if params else ''}: exported by collapsecheck (Promela, SPIN 6).",
        f"   {len(inits)} initial state(s); SPIN's stored states = collapsecheck's distinct states"
        f" + {0 if exact else 1}.",
        "   Check: spin -a FILE && gcc -O2 -DNOREDUCE -DSAFETY -o pan pan.c && ./pan -m100000 -c0",
        "   (sometimes/progress properties are not exported: SPIN has no reachability witnesses). */",
        "",
    ]
    hidden = []
    if w.temps:
        hidden.append("hidden int " + ", ".join(f"_tmp{k}" for k in range(1, w.temps + 1)) + ";"
                      "\t/* simultaneous updates: values computed before any assignment */")
    if instrument and model.always:
        hidden.append("hidden int _violated;\t/* bit k: property k was reported (not part of the state) */")
    text = "\n".join(header + w.consts + [""] + decls + hidden + body) + "\n"
    return PromelaModel(text, 0 if exact else 1, tuple(p.name for p in model.always), len(inits))


__all__ = ["PromelaModel", "export"]
