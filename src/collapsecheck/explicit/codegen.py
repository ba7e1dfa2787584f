"""Generates one specialised Python search per model over packed states (interpreter 2 of 3).

States are single ints (``packing.py``). A thread's successors depend only on the slots its current step
touches, so the hot loop looks them up in a per-thread *transition cache* keyed by
``state & footprint_mask[pc]`` (all threads' masks come from one table indexed by the program-counter
bits); an entry is a tuple of ``(delta, group, action)`` and the successor is ``state + delta``. On a
miss, code specialised per step (guards and updates as Python over bit fields, see ``pyexpr.py``)
computes the entry. ``group`` numbers the set of properties the case can make violated (always) or
reached (sometimes) in the new state; a new state is checked only for those, through one cache per group
keyed on the group's read slots: a property the case cannot affect keeps its parent's value, and every
state found so far is neither violating nor witnessing a property still being looked for.

The generated searches expand states in a fixed order (thread, step, case), so state ids, counts and
traces are those of a plain BFS. ``check``/``successors_packed``/``lookups``/``terminal_ok``/``init_ok``
serve traces, reductions, tests and other modules. This module only writes and compiles source; the
search policy (limits, verdicts, traces, reductions) belongs to ``engine.py``. It must not import z3 or
networkx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from collapsecheck.errors import ModelError, ModelRuntimeError
from collapsecheck.explicit import footprint
from collapsecheck.explicit.packing import Packing
from collapsecheck.explicit.pyexpr import PyExpr
from collapsecheck.expr.nodes import ArrayOf, Elem, VarRef, show
from collapsecheck.expr.sorts import ArraySort, IntRange
from collapsecheck.model.core import Case, Model, Step, Thread


@dataclass
class Compiled:
    """The compiled search of one model, with its caches (shared by every search of this model)."""

    source: str
    packing: Packing
    explore: Callable[..., object]  # plain BFS (``seen``: a dict state -> parent id)
    explore_edges: Callable[..., object]  # BFS that records every edge (``seen``: a dict state -> id)
    explore_reduced: Callable[..., object]  # BFS with partial-order / symmetry reduction (``por.py``)
    check: Callable[[int, int], int]  # check(packed, selection mask) -> mask of hits
    successors_packed: Callable[[int], list[tuple[int, int]]]  # [(action, packed successor)] in order
    lookups: Callable[[int], tuple]  # per thread: the transition-cache entry of the state
    init_ok: Callable[[int, int], bool]  # assume_init constraint k on a packed state
    terminal_ok: Callable[[int], bool]
    n_always: int
    n_sometimes: int
    caches: list[dict] = field(repr=False, default_factory=list)  # per thread: key -> ((delta, group, aid), ...)
    prop_caches: list[dict] = field(repr=False, default_factory=list)
    namespace: dict = field(repr=False, default_factory=dict)

    @property
    def all_props(self) -> int:
        return (1 << (self.n_always + self.n_sometimes)) - 1

    def encode(self, state: tuple) -> int:
        return self.packing.encode(state)

    def decode(self, s: int) -> tuple:
        return self.packing.decode(s)

    def props(self, state: tuple) -> int:
        """Bit k (always properties first, then sometimes): property k is violated / the witness holds."""
        return self.check(self.packing.encode(state), self.all_props)

    def successors(self, state: tuple) -> list[tuple[int, tuple]]:
        """(action id, next state) of every enabled transition, in thread, step and case order."""
        return [(a, self.packing.decode(t)) for a, t in self.successors_packed(self.packing.encode(state))]

    def clear_caches(self) -> None:
        for c in self.caches + self.prop_caches:
            c.clear()


class _Gen(PyExpr):
    """Writes the module: per-thread miss functions, property checks, the search loops."""

    def __init__(self, model: Model) -> None:
        super().__init__(model, Packing.of(model))
        self.props = list(model.always) + list(model.sometimes)
        self.prop_reads = [footprint.reads(model, p.expr) for p in self.props]
        self.groups: dict[int, int] = {}  # property mask -> group number (1, 2, ...)

    # ------------------------------------------------------------------------------- transitions
    def affected(self, t: Thread, pc: int, c: Case) -> int:
        """The group number of the properties this case can change (0: none). A group is one distinct
        set of properties; it has its own cache keyed on the union of their read slots."""
        mask = 0
        n_always = len(self.m.always)
        for k, p in enumerate(self.props):
            if not footprint.case_affects(self.m, t, pc, c, p.expr, self.prop_reads[k]):
                continue
            # After the move the thread is at c.goto: a property its position alone makes true (an
            # always) or false (a witness) cannot be hit in the new state, whatever else changed.
            if footprint.value_at(self.m, p.expr, t.index, c.goto) is (k < n_always):
                continue
            mask |= 1 << k
        if not mask:
            return 0
        if mask not in self.groups:
            self.groups[mask] = len(self.groups) + 1
        return self.groups[mask]

    def case_delta(self, t: Thread, step: Step, pc: int, c: Case, aid: int, ind: str) -> list[str]:
        """Lines that append ``(delta, affected, aid)`` for one enabled case."""
        where = f"model {self.m.name}, thread {t.name!r}, step {step.name!r}"
        out: list[str] = []
        terms: list[str] = []
        tmp = 0

        def checked(val: str, sort: object, name: str, static: object) -> str:
            nonlocal tmp
            if isinstance(sort, IntRange):
                if not isinstance(static, IntRange) or static.lo_v < sort.lo_v or static.hi_v > sort.hi_v:
                    tmp += 1
                    site = self.fail_site(f"{where}: {name} is assigned a value outside its range {sort}")
                    out.append(f"{ind}_u{tmp} = {val}")
                    out.append(f"{ind}if not ({sort.lo_v} <= _u{tmp} <= {sort.hi_v}): _fail({site}, _u{tmp}, s)")
                    return f"_u{tmp}"
            return val

        def term(k: int, val: str) -> None:
            o = self.pk.offset[k]
            terms.append(f"(({val}) - v{k})" + (f" << {o}" if o else ""))

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
                    term(self.slot(d, k), val)
                    continue
                tmp += 1
                idx = self.ex(tgt.index, {}, where)
                assert isinstance(tgt.index.sort, IntRange)
                if not (tgt.index.sort.lo_v >= 0 and tgt.index.sort.hi_v < n):
                    site = self.fail_site(f"{where}: index of {show(tgt)} is outside {d.qualname}[0..{n - 1}]")
                    idx = f"_ix({idx}, {n}, {site}, s)"
                out.append(f"{ind}_i{tmp} = {idx}")
                old, off = self.dyn_elem(d, f"_i{tmp}")
                terms.append(f"(({val}) - {old}) << {off}")
            else:
                d = tgt.decl
                if isinstance(d.sort, ArraySort):
                    for kk in range(d.sort.size_v):
                        if isinstance(u.value, ArrayOf):
                            ev = self.ex(u.value.body, {id(u.value.var): kk}, where)
                            static = u.value.body.sort
                        else:
                            assert isinstance(u.value, VarRef)
                            ev = f"v{self.slot(u.value.decl, kk)}"
                            static = u.value.decl.sort.elem
                        term(self.slot(d, kk), checked(ev, d.sort.elem, f"{d.qualname}[{kk}]", static))
                else:
                    term(self.slot(d), checked(self.ex(u.value, {}, where), d.sort, d.qualname, u.value.sort))
        pcs = self.lay.pc_slot[t.index]
        if c.goto != pc:
            o = self.pk.offset[pcs]
            terms.append(f"{c.goto - pc}" + (f" << {o}" if o else ""))
        delta = " + ".join(f"({x})" for x in terms) if terms else "0"
        out.append(f"{ind}out.append(({delta}, {self.affected(t, pc, c)}, {aid}))")
        return out

    def step_code(self, t: Thread, pc: int, first_aid: int, ind: str) -> list[str]:
        step = t.steps[pc]
        where = f"model {self.m.name}, thread {t.name!r}, step {step.name!r}"
        fp = footprint.step_footprint(self.m, t, pc)
        need = set(fp.touches)
        out = self.extract_lines(need, ind)
        for ci, c in enumerate(step.cases):
            self.site_loc = c.loc
            guard = self.ex(c.guard, {}, where)
            kw = "if" if (ci == 0 or not step.ordered) else "elif"
            out.append(f"{ind}{kw} {guard}:")
            out += self.case_delta(t, step, pc, c, first_aid + ci, ind + "    ")
        return out

    def masks(self, t: Thread) -> list[int]:
        """Per pc (END included): the packed mask of the slots the step touches (the cache key)."""
        return [self.pk.mask(footprint.step_footprint(self.m, t, pc).touches) for pc in range(len(t.steps) + 1)]

    def miss_function(self, t: Thread, first_aids: list[int]) -> list[str]:
        ti = t.index
        pcs = self.lay.pc_slot[ti]
        lines = [f"def _miss{ti}(s):",
                 f"    pc = {self.extract(pcs)}",
                 "    out = []"]
        for pc in range(len(t.steps)):
            lines.append(f"    {'if' if pc == 0 else 'elif'} pc == {pc}:")
            lines += self.step_code(t, pc, first_aids[pc], "        ")
        lines += ["    r = tuple(out)",
                  f"    C{ti}[s & M{ti}[pc]] = r",
                  "    return r", ""]
        return lines + _guarded(f"miss{ti}", "()", step=True)

    def terminal_ok(self) -> str:
        parts = []
        for t in self.m.threads:
            ok = [len(t.steps)] + [k for k, s in enumerate(t.steps) if s.end_ok]
            pv = self.extract(self.lay.pc_slot[t.index])
            parts.append(f"({pv} in {tuple(ok)!r})" if len(ok) > 1 else f"({pv} == {ok[0]})")
        return " and ".join(parts)

    # ---------------------------------------------------------------------------------- properties
    def prop_functions(self) -> list[str]:
        lines: list[str] = []
        n_always = len(self.m.always)
        for k, p in enumerate(self.props):
            where = f"model {self.m.name}, property {p.name!r}"
            self.site_loc = p.loc
            e = self.ex(p.expr, {}, where)
            hit = f"(not {e})" if k < n_always else f"bool({e})"
            lines += [f"def _pmiss{k}(s):"] + self.extract_lines(self.prop_reads[k], "    ") + [
                f"    b = {hit}", f"    PC{k}[s & PM{k}] = b", "    return b", ""] + _guarded(f"pmiss{k}", "False")
        lines.append("def check(s, sel):")
        lines.append("    m = 0")
        for k in range(len(self.props)):
            lines += [f"    if sel & {1 << k}:",
                      "        try:",
                      f"            b = PC{k}[s & PM{k}]",
                      "        except KeyError:",
                      f"            b = pmiss{k}(s)",
                      "        if b:",
                      f"            m |= {1 << k}"]
        lines += ["    return m", ""]
        # A group's cache maps the packed values of its properties' read slots to the hit mask. On a
        # miss the group's properties are evaluated straight from the packed state, reading each slot
        # only when the short-circuit evaluation gets to it (implications mostly stop at a pc test).
        self.inline = True
        for mask, g in sorted(self.groups.items(), key=lambda kv: kv[1]):
            lines.append(f"def _gev{g}(s):")
            lines.append("    m = 0")
            for k, p in enumerate(self.props):
                if mask >> k & 1:
                    self.site_loc = p.loc
                    e = self.ex(p.expr, {}, f"model {self.m.name}, property {p.name!r}")
                    cond = f"not {e}" if k < n_always else e
                    lines += [f"    if {cond}:", f"        m |= {1 << k}"]
            lines += ["    return m", ""] + _guarded(f"gev{g}", "0")
        self.inline = False
        lines += ["def gmiss(g, s):",
                  "    m = GEV[g](s)",
                  "    GC[g][s & GM[g]] = m",
                  "    return m", ""]
        return lines

    def group_tables(self) -> tuple[list[int], list[int]]:
        sel = [0] * (len(self.groups) + 1)
        gm = [0] * (len(self.groups) + 1)
        for mask, g in self.groups.items():
            sel[g] = mask
            slots: set[int] = set()
            for k in range(len(self.props)):
                if mask >> k & 1:
                    slots |= self.prop_reads[k]
            gm[g] = self.pk.mask(slots)
        return sel, gm

    def init_functions(self) -> list[str]:
        """``init_ok(ci, s)``: the ``assume_init`` constraint ``ci`` on a packed state."""
        lines = ["def init_ok(ci, s):"]
        for ci, e in enumerate(self.m.init_constraints):
            where = f"model {self.m.name}, assume_init"
            lines += [f"    if ci == {ci}:"] + self.extract_lines(footprint.reads(self.m, e), "        ") + [
                f"        return bool({self.ex(e, {}, where)})"]
        lines += ["    raise IndexError(ci)", ""]
        return lines

    # ------------------------------------------------------------------------------------ searches
    def lookup(self, t: Thread, ind: str) -> list[str]:
        """The thread's cache entry for state ``s`` (misses are rare: try/except costs nothing on a hit).
        A finished thread has no transitions; testing its pc first skips the lookup."""
        ti = t.index
        pcs = self.lay.pc_slot[ti]
        return [f"{ind}p = {self.extract(pcs)}",
                f"{ind}if p == {len(t.steps)}:",
                f"{ind}    r{ti} = ()",
                f"{ind}else:",
                f"{ind}    try:",
                f"{ind}        r{ti} = C{ti}[s & M{ti}[p]]",
                f"{ind}    except KeyError:",
                f"{ind}        r{ti} = miss{ti}(s)"]

    def pc_bits(self) -> int:
        """Total width of the program counters (they are the lowest bits of a packed state)."""
        return sum(self.pk.width[k] for k in self.lay.pc_slot)

    def table_lookups(self, ind: str) -> list[str]:
        """All threads' cache entries through one table indexed by the program-counter bits: the row
        holds every thread's footprint mask for that combination of pcs (a finished thread's mask is its
        pc field alone, whose cache entry is the empty tuple)."""
        threads = self.m.threads
        lines = [f"{ind}{''.join(f'k{t.index}, ' for t in threads)}= KT[s & {(1 << self.pc_bits()) - 1}]"]
        for t in threads:
            ti = t.index
            lines += [f"{ind}try:",
                      f"{ind}    r{ti} = C{ti}[s & k{ti}]",
                      f"{ind}except KeyError:",
                      f"{ind}    r{ti} = miss{ti}(s)"]
        return lines

    def key_table(self) -> list[tuple[int, ...]] | None:
        if self.pc_bits() > 16:
            return None
        rows = []
        masks = [self.masks(t) for t in self.m.threads]
        for bits in range(1 << self.pc_bits()):
            row = []
            for t, ms in zip(self.m.threads, masks):
                k = self.lay.pc_slot[t.index]
                pc = (bits >> self.pk.offset[k]) & ((1 << self.pk.width[k]) - 1)
                row.append(ms[pc] if pc < len(ms) else ms[-1])  # pcs past END never occur
            rows.append(tuple(row))
        return rows

    def search(self, name: str, mode: str) -> list[str]:
        """A BFS loop; ``mode`` is ``plain``, ``edges`` or ``reduced``.

        plain: ``seen`` maps a state to its parent's id (one dict store per new state, no parent array).
        edges: ``seen`` maps a state to its own id, ``parents`` is an array, every edge is recorded.
        reduced: like edges (edges optional), plus the reductions of ``por.py``: ``canon`` maps a state
        to its orbit representative (symmetry) and, with ``por``, a state whose candidate thread passes
        the ample-set conditions is expanded through that thread alone.
        States are expanded in chunks of 1024 read straight from the growing list (cheaper than
        indexing it); limits are checked between chunks. ``i`` counts expanded states."""
        threads = self.m.threads
        reduced = mode == "reduced"
        extra = ", canon, por, cand_get, cand_miss, vis" if reduced else ""
        lines = [
            f"def {name}(states, seen, parents, edges, R, max_states, deadline, progress, memcheck{extra}):",
            "    append = states.append",
            "    hit = R.hit; want = R.want",
            "    i = R.next; ntrans = R.transitions",
            "    tick = _time() + 1.0; chunks = 0",
        ]
        if mode != "plain":
            lines += ["    seen_get = seen.get; par = parents.append",
                      "    esrc, edst, eact = (edges[0].append, edges[1].append, edges[2].append) if edges "
                      "else (None, None, None)"]
        if reduced:
            lines += ["    ample = 0"]
        lines += [
            "    while i < len(states):",
            "        if not want and R.stop is not None:",  # a trace rebuild has what it needs
            "            break",
            "        if len(states) > max_states:",
            "            R.stop = 'states'; break",
            "        _now = _time()",
            "        if _now > deadline:",
            "            R.stop = 'time'; break",
            "        chunks += 1",
            "        if memcheck is not None and (chunks & 15) == 1 and memcheck():",
            "            R.stop = 'memory'; break",
            "        if progress is not None and _now > tick:",
            "            tick = _now + 1.0; R.next = i; R.transitions = ntrans; progress(R, states)",
            "        for s in states[i:i + 1024]:",
        ]
        body: list[str] = []
        if self.key_table() is not None:
            body += self.table_lookups("        ")
        else:
            for t in threads:
                body += self.lookup(t, "        ")
        # Group caches miss often enough (about one lookup in seven) that get() beats try/except.
        newstate = ["                    if g:",
                    "                        m = GG[g](t & GM[g])",
                    "                        if m is None: m = gmiss(g, t)",
                    "                        if m & want: want = hit(m & want, len(states) - 1)"]

        def expand(r: str, ind: str) -> list[str]:
            out = [f"if {r}:",
                   f"    ntrans += len({r})",
                   f"    for d, g, a in {r}:",
                   "        t = s + d"]
            if mode == "plain":
                out += ["        if t not in seen:",
                        "            seen[t] = i; append(t)"] + [ln[8:] for ln in newstate]
            else:
                if reduced:
                    out += ["        if canon is not None: t = canon(t)"]
                out += ["        j = seen_get(t)",
                        "        if j is None:",
                        "            j = len(states); seen[t] = j; append(t); par(i)"] + [ln[8:] for ln in newstate]
                out += ["        if esrc is not None: esrc(i); edst(j); eact(a)"]
            return [ind + ln for ln in out]

        rs = [f"r{t.index}" for t in threads]
        if reduced:
            pcb = (1 << self.pc_bits()) - 1
            body += [
                "        x = None",
                "        if por:",
                f"            cands = cand_get(s & {pcb})",
                "            if cands is None:",
                f"                cands = cand_miss(s & {pcb})",
                f"            rs = ({''.join(r + ', ' for r in rs)})",
                "            for u in cands:",
                "                r = rs[u]",
                "                if not r:",
                "                    continue",
                "                for d, g, a in r:",  # C2 (visibility) and C3 (cycle proviso)
                "                    if vis[a]:",
                "                        break",
                "                    t = s + d",
                "                    if canon is not None: t = canon(t)",
                "                    j = seen_get(t)",
                "                    if j is not None and j <= i:",
                "                        break",
                "                else:",
                "                    x = r",
                "                    break",
                "        if x is not None:",
                "            ample += 1",
            ]
            body += expand("x", "            ")
            body += ["        else:"]
            for r in rs:
                body += expand(r, "            ")
        else:
            for r in rs:
                body += expand(r, "        ")
        none = " or ".join(rs)
        if self.m.check_deadlock:
            # A state where a step raised a run-time model error is that error's, not a deadlock: the
            # failing thread had no transitions only because its step could not be evaluated.
            body += [f"        if not ({none}) and not term(s) and s not in ERRSTATES:",
                     "            if R.dead(i): want = 0"]
        body += ["        i += 1"]
        lines += ["    " + ln for ln in body]
        lines += ["    R.next = i; R.transitions = ntrans" + ("; R.ample = ample" if reduced else ""), ""]
        return lines

    # ------------------------------------------------------------------------------------- module
    def module(self) -> str:
        m = self.m
        lines: list[str] = []
        first_aids: list[list[int]] = []
        aid = 0
        for t in m.threads:
            fa = []
            for s in t.steps:
                fa.append(aid)
                aid += len(s.cases)
            first_aids.append(fa)
        for t in m.threads:
            lines += self.miss_function(t, first_aids[t.index])
        lines += self.prop_functions()
        lines += ["def term(s):", f"    return {self.terminal_ok()}", ""]
        lines += self.init_functions()
        lines += ["def lookups(s):"]
        for t in m.threads:
            lines += self.lookup(t, "    ")
        lines += ["    return (" + "".join(f"r{t.index}, " for t in m.threads) + ")", ""]
        lines += ["def successors_packed(s):", "    out = []"]
        for t in m.threads:
            lines += self.lookup(t, "    ")
            lines += [f"    out += [(a, s + d) for d, g, a in r{t.index}]"]
        lines += ["    return out", ""]
        lines += self.search("explore", "plain")
        lines += self.search("explore_edges", "edges")
        lines += self.search("explore_reduced", "reduced")
        return "\n".join(lines)


def _guarded(name: str, nothing: str, step: bool = False) -> list[str]:
    """``name(s)`` calls ``_name(s)``; a run-time model error is recorded (``_ERR``) and the state gets
    ``nothing`` (no transitions of that thread, no property hit), so the search goes on and the engine can
    rank the error against violations by depth. A failing step also marks its state (``ERRSTATES``) so
    that the state is not taken for a deadlock. Only cache misses pay for the extra call."""
    return [f"def {name}(s):",
            "    try:",
            f"        return _{name}(s)",
            "    except _MRE as e:",
            "        _ERR(e)"] + (["        ERRSTATES.add(s)"] if step else []) + [
            f"        return {nothing}", ""]


def compile_model(model: Model, record_edges: bool = False) -> Compiled:
    """Generate and compile the searches for ``model``. Both the plain and the edge-recording search are
    always compiled; ``record_edges`` is accepted for the callers of the former signature."""
    import time

    gen = _Gen(model)
    src = gen.module()
    checks, locs = gen.checks, gen.check_locs

    # A failure carries the packed state it happened in, so the engine can give the trace that reaches it.
    def _fail(site: int, value: object, s: int) -> None:
        raise ModelRuntimeError(f"{checks[site]} (value {value})", locs[site], state=s)  # type: ignore[arg-type]

    def _ix(i: int, n: int, site: int, s: int) -> int:
        if not 0 <= i < n:
            raise ModelRuntimeError(f"{checks[site]} (index {i})", locs[site], state=s)  # type: ignore[arg-type]
        return i

    errors: list[ModelRuntimeError] = []

    def _err(e: ModelRuntimeError) -> None:
        if len(errors) < 256:  # the shallowest is chosen by the engine; a few suffice
            errors.append(e)

    ns: dict[str, object] = {"_fail": _fail, "_ix": _ix, "_time": time.monotonic, "_MRE": ModelRuntimeError,
                             "_ERR": _err, "ERRORS": errors,
                             "ERRSTATES": set()}
    caches: list[dict] = []
    for t in model.threads:
        c: dict = {}
        caches.append(c)
        ns[f"C{t.index}"] = c
        ns[f"M{t.index}"] = tuple(gen.masks(t))
    ns["KT"] = gen.key_table()
    prop_caches: list[dict] = []
    for k, r in enumerate(gen.prop_reads):
        pc: dict = {}
        prop_caches.append(pc)
        ns[f"PC{k}"] = pc
        ns[f"PM{k}"] = gen.pk.mask(r)
    sel, gm = gen.group_tables()
    group_caches: list[dict] = [{} for _ in sel]
    prop_caches += group_caches
    ns.update(GSEL=sel, GM=gm, GC=group_caches, GG=[c.get for c in group_caches])
    code = compile(src, f"<collapsecheck:{model.name}>", "exec")
    exec(code, ns)
    ns["GEV"] = [None] + [ns[f"gev{g}"] for g in range(1, len(sel))]
    return Compiled(src, gen.pk, ns["explore"], ns["explore_edges"], ns["explore_reduced"], ns["check"],  # type: ignore[arg-type]
                    ns["successors_packed"], ns["lookups"], ns["init_ok"], ns["term"], len(model.always), len(model.sometimes),  # type: ignore[arg-type]
                    caches, prop_caches, ns)


__all__ = ["Compiled", "compile_model"]
