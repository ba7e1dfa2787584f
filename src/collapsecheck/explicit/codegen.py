"""Generates one specialised Python breadth-first search per model (interpreter 2 of 3).

Guards, updates and properties are turned into Python source once, so the hot loop reads tuple slots into
locals and never walks an expression tree. The generated ``explore`` function expands states in a fixed
order (thread, step, case) and records parent links; ``props`` checks invariants and pending witnesses on
every new state. This module only writes and compiles source; the search policy (limits, verdicts, traces)
belongs to ``explicit/engine.py``. It must not import z3 or networkx.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

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
)
from collapsecheck.expr.sorts import ArraySort, IntRange, bound_value
from collapsecheck.model.core import Case, Model, Step, Thread


@dataclass
class Compiled:
    """The compiled search of one model."""

    source: str
    explore: Callable[..., object]
    props: Callable[..., int]
    n_always: int
    n_sometimes: int
    witness_flags: list[bool]  # the generated ``props`` skips witnesses already found


class _Gen:
    def __init__(self, model: Model) -> None:
        self.m = model
        self.lay = model.layout
        self.checks: list[str] = []  # messages for run-time range/index failures

    # ------------------------------------------------------------------------------------ helpers
    def const_value(self, e: Expr, sub: dict[int, int]) -> int | None:
        if isinstance(e, Const):
            return int(e.value)
        if isinstance(e, SizeRef):
            return e.size.value
        if isinstance(e, BoundVar):
            return sub.get(id(e))
        if isinstance(e, Arith):
            a, b = self.const_value(e.lhs, sub), self.const_value(e.rhs, sub)
            if a is None or b is None:
                return None
            return a + b if e.op == "+" else a - b
        return None

    def fail_site(self, msg: str) -> int:
        self.checks.append(msg)
        return len(self.checks) - 1

    def slot(self, decl: object, elem: int = 0) -> int:
        return self.lay.slot_of(decl, elem)  # type: ignore[arg-type]

    # ------------------------------------------------------------------------------- expressions
    def ex(self, e: Expr, sub: dict[int, int], where: str) -> str:
        x = lambda n: self.ex(n, sub, where)  # noqa: E731
        if isinstance(e, Const):
            return repr(e.value)
        if isinstance(e, VarRef):
            d = e.decl
            if isinstance(d.sort, ArraySort):
                return "(" + "".join(f"v{self.slot(d, k)}, " for k in range(d.sort.size_v)) + ")"
            return f"v{self.slot(d)}"
        if isinstance(e, SizeRef):
            return str(e.size.value)
        if isinstance(e, BoundVar):
            return str(sub[id(e)])
        if isinstance(e, AtStep):
            t = self.m.thread(e.thread)
            pcs = sorted({t.step_index(lab) for lab in e.labels})
            pv = f"v{self.lay.pc_slot[t.index]}"
            return f"({pv} == {pcs[0]})" if len(pcs) == 1 else f"({pv} in {tuple(pcs)!r})"
        if isinstance(e, Not):
            return f"(not {x(e.arg)})"
        if isinstance(e, And):
            return "(" + " and ".join(x(a) for a in e.args) + ")" if e.args else "True"
        if isinstance(e, Or):
            return "(" + " or ".join(x(a) for a in e.args) + ")" if e.args else "False"
        if isinstance(e, Implies):
            return f"((not {x(e.lhs)}) or {x(e.rhs)})"
        if isinstance(e, Ite):
            return f"({x(e.then)} if {x(e.cond)} else {x(e.other)})"
        if isinstance(e, Cmp):
            return f"({x(e.lhs)} {e.op} {x(e.rhs)})"
        if isinstance(e, Arith):
            return f"({x(e.lhs)} {e.op} {x(e.rhs)})"
        if isinstance(e, Elem):
            d = e.array.decl
            assert isinstance(d.sort, ArraySort)
            n = d.sort.size_v
            k = self.const_value(e.index, sub)
            if k is not None:
                if not 0 <= k < n:
                    raise ModelError(f"{show(e)}: index {k} is outside {d.qualname}[0..{n - 1}]", None, where)
                return f"v{self.slot(d, k)}"
            base = self.slot(d)
            idx = x(e.index)
            assert isinstance(e.index.sort, IntRange)
            if e.index.sort.lo_v >= 0 and e.index.sort.hi_v < n:
                return f"s[{base} + {idx}]"
            site = self.fail_site(f"{where}: index of {show(e)} is outside {d.qualname}[0..{n - 1}]")
            return f"s[{base} + _ix({idx}, {n}, {site})]"
        if isinstance(e, (Quant, Count)):
            parts = []
            for k in range(bound_value(e.var.size)):
                inner = dict(sub)
                inner[id(e.var)] = k
                parts.append(self.ex(e.body, inner, where))
            if isinstance(e, Count):
                return "(" + " + ".join(f"(1 if {p} else 0)" for p in parts) + ")"
            joiner = " and " if e.kind == "forall" else " or "
            return "(" + joiner.join(parts) + ")"
        if isinstance(e, ArrayOf):
            raise ModelError(f"{show(e)}: ArrayOf can only be assigned to an array variable", None, where)
        raise TypeError(f"unknown expression node {type(e).__name__}")

    # ------------------------------------------------------------------------------- transitions
    def case_body(self, t: Thread, step: Step, c: Case, aid: int, ind: str, record_edges: bool) -> list[str]:
        where = f"model {self.m.name}, thread {t.name!r}, step {step.name!r}"
        out: list[str] = []
        new = [f"v{k}" for k in range(len(self.lay))]
        tmp = 0

        def checked(val: str, sort: object, name: str, static: object) -> str:
            nonlocal tmp
            if isinstance(sort, IntRange):
                assert isinstance(static, IntRange) or static is None
                if static is None or static.lo_v < sort.lo_v or static.hi_v > sort.hi_v:
                    tmp += 1
                    site = self.fail_site(f"{where}: {name} is assigned a value outside its range {sort}")
                    out.append(f"{ind}_u{tmp} = {val}")
                    out.append(f"{ind}if not ({sort.lo_v} <= _u{tmp} <= {sort.hi_v}): _fail({site}, _u{tmp})")
                    return f"_u{tmp}"
            return val

        for u in c.updates:
            tgt = u.target
            if isinstance(tgt, Elem):
                d = tgt.array.decl
                assert isinstance(d.sort, ArraySort)
                n = d.sort.size_v
                val = checked(self.ex(u.value, {}, where), d.sort.elem, f"{d.qualname}[..]", u.value.sort)
                k = self.const_value(tgt.index, {})
                if k is not None:
                    if not 0 <= k < n:
                        raise ModelError(f"{show(tgt)}: index {k} is outside {d.qualname}[0..{n - 1}]", c.loc, where)
                    new[self.slot(d, k)] = val
                    continue
                tmp += 1
                idx = self.ex(tgt.index, {}, where)
                assert isinstance(tgt.index.sort, IntRange)
                if not (tgt.index.sort.lo_v >= 0 and tgt.index.sort.hi_v < n):
                    site = self.fail_site(f"{where}: index of {show(tgt)} is outside {d.qualname}[0..{n - 1}]")
                    idx = f"_ix({idx}, {n}, {site})"
                out.append(f"{ind}_i{tmp} = {idx}")
                if not val.startswith("_u"):
                    out.append(f"{ind}_w{tmp} = {val}")
                    val = f"_w{tmp}"
                for kk in range(n):
                    sl = self.slot(d, kk)
                    new[sl] = f"({val} if _i{tmp} == {kk} else v{sl})"
            else:
                d = tgt.decl
                if isinstance(d.sort, ArraySort):
                    n = d.sort.size_v
                    for kk in range(n):
                        if isinstance(u.value, ArrayOf):
                            ev = self.ex(u.value.body, {id(u.value.var): kk}, where)
                            static = u.value.body.sort
                        else:
                            assert isinstance(u.value, VarRef)
                            ev = f"v{self.slot(u.value.decl, kk)}"
                            static = u.value.decl.sort.elem
                        new[self.slot(d, kk)] = checked(ev, d.sort.elem, f"{d.qualname}[{kk}]", static)
                else:
                    val = self.ex(u.value, {}, where)
                    new[self.slot(d)] = checked(val, d.sort, d.qualname, u.value.sort)
        new[self.lay.pc_slot[t.index]] = str(c.goto)
        tup = "(" + ", ".join(new) + ",)"
        out.append(f"{ind}_t = {tup}")
        if record_edges:
            out += [
                f"{ind}_j = seen_get(_t)",
                f"{ind}if _j is None:",
                f"{ind}    _j = len(states); seen[_t] = _j; append(_t); par(i); act({aid})",
                f"{ind}    _m = props(_t)",
                f"{ind}    if _m: hit(_m, _j)",
                f"{ind}esrc(i); edst(_j); eact({aid})",
            ]
        else:
            out += [
                f"{ind}if _t not in seen:",
                f"{ind}    seen[_t] = len(states); par(i); act({aid})",
                f"{ind}    _m = props(_t)",
                f"{ind}    if _m: hit(_m, len(states))",
                f"{ind}    append(_t)",
            ]
        return out

    def step_code(self, t: Thread, si: int, first_aid: int, ind: str, record_edges: bool) -> list[str]:
        step = t.steps[si]
        where = f"model {self.m.name}, thread {t.name!r}, step {step.name!r}"
        out: list[str] = []
        for ci, c in enumerate(step.cases):
            guard = self.ex(c.guard, {}, where)
            kw = "if" if (ci == 0 or not step.ordered) else "elif"
            if guard == "True":
                guard = "True"
            out.append(f"{ind}{kw} {guard}:")
            out.append(f"{ind}    en += 1")
            out += self.case_body(t, step, c, first_aid + ci, ind + "    ", record_edges)
        return out

    def thread_code(self, t: Thread, first_aids: list[int], ind: str, record_edges: bool) -> list[str]:
        pv = f"v{self.lay.pc_slot[t.index]}"

        def tree(lo: int, hi: int, ind: str) -> list[str]:
            # Binary dispatch on the program counter keeps long threads cheap.
            if hi - lo <= 3:
                out = []
                for k in range(lo, hi):
                    out.append(f"{ind}{'if' if k == lo else 'elif'} {pv} == {k}:")
                    out += self.step_code(t, k, first_aids[k], ind + "    ", record_edges) or [f"{ind}    pass"]
                return out
            mid = (lo + hi) // 2
            return ([f"{ind}if {pv} < {mid}:"] + tree(lo, mid, ind + "    ")
                    + [f"{ind}else:"] + tree(mid, hi, ind + "    "))

        return tree(0, len(t.steps), ind)

    def terminal_ok(self) -> str:
        parts = []
        for t in self.m.threads:
            pv = f"v{self.lay.pc_slot[t.index]}"
            ok = [len(t.steps)] + [k for k, s in enumerate(t.steps) if s.end_ok]
            parts.append(f"({pv} in {tuple(ok)!r})" if len(ok) > 1 else f"({pv} == {ok[0]})")
        return " and ".join(parts)

    # ------------------------------------------------------------------------------------- module
    def module(self, record_edges: bool) -> str:
        m = self.m
        nslots = len(self.lay)
        unpack = ", ".join(f"v{k}" for k in range(nslots)) + ","
        lines = [
            "def props(s):",
            f"    {unpack} = s",
            "    _m = 0",
        ]
        bit = 1
        for p in m.always:
            lines.append(f"    if not {self.ex(p.expr, {}, f'model {m.name}, property {p.name!r}')}: _m |= {bit}")
            bit <<= 1
        for k, p in enumerate(m.sometimes):
            lines.append(f"    if not W[{k}] and {self.ex(p.expr, {}, f'model {m.name}, property {p.name!r}')}: "
                         f"_m |= {bit}")
            bit <<= 1
        lines.append("    return _m")
        lines.append("")
        first_aids: list[list[int]] = []
        aid = 0
        for t in m.threads:
            fa = []
            for s in t.steps:
                fa.append(aid)
                aid += len(s.cases)
            first_aids.append(fa)
        lines += [
            "def explore(states, seen, parents, acts, edges, R, max_states, deadline, progress):",
            "    append = states.append; par = parents.append; act = acts.append",
            "    seen_get = seen.get",
            "    esrc, edst, eact = (edges[0].append, edges[1].append, edges[2].append) if edges else (None,)*3",
            "    hit = R.hit",
            "    i = R.next; ntrans = R.transitions",
            "    tick = _time() + 1.0",
            "    try:",
            "     while i < len(states):",
            "        if not (i & 1023):",
            "            if len(states) > max_states:",
            "                R.stop = 'states'; break",
            "            _now = _time()",
            "            if _now > deadline:",
            "                R.stop = 'time'; break",
            "            if progress is not None and _now > tick:",
            "                tick = _now + 1.0; R.next = i; R.transitions = ntrans; progress(R, states)",
            "        s = states[i]",
            f"        {unpack} = s",
            "        en = 0",
        ]
        for t in m.threads:
            lines.append(f"        # thread {t.name}")
            lines += self.thread_code(t, first_aids[t.index], "        ", record_edges)
        lines += [
            "        ntrans += en",
            f"        if en == 0 and not ({self.terminal_ok()}):",
            "            R.dead(i)",
            "        i += 1",
            "    except ModelError:",
            "        R.next = i; R.transitions = ntrans",
            "        raise",
            "    R.next = i; R.transitions = ntrans",
            "",
        ]
        return "\n".join(lines)


def compile_model(model: Model, record_edges: bool = False) -> Compiled:
    """Generate and compile the search for ``model``."""
    import time

    gen = _Gen(model)
    src = gen.module(record_edges)
    checks = gen.checks

    def _fail(site: int, value: object) -> None:
        raise ModelError(f"{checks[site]} (value {value})")

    def _ix(i: int, n: int, site: int) -> int:
        if not 0 <= i < n:
            raise ModelError(f"{checks[site]} (index {i})")
        return i

    flags = [False] * len(model.sometimes)
    ns: dict[str, object] = {"_fail": _fail, "_ix": _ix, "_time": time.monotonic, "W": flags,
                             "ModelError": ModelError}
    code = compile(src, f"<collapsecheck:{model.name}>", "exec")
    exec(code, ns)
    return Compiled(src, ns["explore"], ns["props"], len(model.always), len(model.sometimes),  # type: ignore[arg-type]
                    flags)
