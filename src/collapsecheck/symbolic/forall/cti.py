"""Counterexample-guided clause generalisation for the prove engine (after IC3PO and DistAI).

After Houdini, a target that is still not proved (an always property some action does not preserve,
deadlock freedom, range safety) has a *counterexample to induction* (CTI): a state that satisfies every
surviving clause and the open properties and whose step by some action violates a property (for deadlock
and range: the state itself). The CTI's state is decoded into rows, one per page term of its query, over
the very columns the samples use (``Columns``). A row that no reachable state at the sample sizes has is
excluded by a new candidate clause: the negation of a small sub-cube of that row that no sample row
matches (a greedy hitting set over the sample rows, preferring program counters and the columns of the
violated target and action, at most ``MAX_LITERALS`` literals), written ``c1 = v1 ∧ … → ck ∈ V`` like the
mined clauses. Houdini then runs again from the survivors, the open properties and the new clauses, and
the loop repeats until every target is proved, no CTI row is new (the reason is reported per target), or
the round or time budget ends.

The new clauses are candidates like the mined ones: Houdini and the independent re-check decide, so the
loop can fail to prove but cannot make a proof unsound. This module must not decide verdicts, print, or
keep a clause because a counterexample suggested it; and nothing that becomes a clause may depend on set or
dict order or on the order Z3 lists a model: targets, actions, rows and columns go in a fixed order, and
ties break by column position.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import z3

from collapsecheck.expr.nodes import Expr, VarRef, walk
from collapsecheck.model.core import Model, Property
from collapsecheck.symbolic.forall.columns import MAX_VALUES, Clause, Column, Columns
from collapsecheck.symbolic.forall.houdini import Houdini, OutOfTime, Outcome, Progress, Query

MAX_ROUNDS = 16  # CTI rounds (each: one CTI per action and open target, then one Houdini run)
MAX_LITERALS = 6  # literals of a new clause (premises + conclusion)
MAX_ROWS = 4  # new rows generalised per CTI
CTIS_PER_QUERY = 3  # CTIs per action and round, for the open properties and again for the chased clauses
MAX_NEW = 400  # new clauses per round
ALTERNATIVES = 3  # other cubes tried for a CTI row whose first cube's clauses were all proposed before
STALL = 4  # rounds in a row that keep no new clause and prove no target end the loop
SHARE = 0.35  # of the time left when the loop starts (minimisation and the re-checks need the rest)


# ------------------------------------------------------------------------------------------ samples
class Samples:
    """The sample rows as one bitmask per (column, value): bit i is set when row i has that value."""

    def __init__(self, cols: Columns, rows: set[tuple]) -> None:
        data = sorted(rows)
        self.cols = cols.cols
        self.size = len(data)
        self.everyone = (1 << self.size) - 1
        self.dom: list[list[int]] = []
        self.ids: list[bytes | None] = []
        for c in self.cols:
            if c.pair is None:
                i = c.index
                vals = [r[i] for r in data]
            else:
                vals = [c.value(r) for r in data]
            dom = sorted(set(vals))
            self.dom.append(dom)
            if len(dom) > MAX_VALUES:  # as in mining: too many values for a readable clause
                self.ids.append(None)
                continue
            pos = {v: k for k, v in enumerate(dom)}
            self.ids.append(bytes(map(pos.__getitem__, vals)))
        self.usable = [ids is not None for ids in self.ids]
        self._masks: dict[tuple[int, int], int] = {}

    def mask(self, j: int, v: int) -> int:
        """Rows whose column ``j`` has value ``v``."""
        key = (j, v)
        m = self._masks.get(key)
        if m is None:
            ids = self.ids[j]
            assert ids is not None
            m = 0
            if v in self.dom[j]:
                table = bytearray(b"0" * 256)
                table[self.dom[j].index(v)] = ord("1")
                m = int(ids.translate(table)[::-1] or b"0", 2)
            self._masks[key] = m
        return m

    def matching(self, lits: list[tuple[int, int]]) -> int:
        m = self.everyone
        for j, v in lits:
            m &= self.mask(j, v)
        return m

    def novel(self, vec: list[int], among: list[int]) -> bool:
        """No sample row agrees with ``vec`` on the columns ``among``."""
        return self.matching([(j, vec[j]) for j in among]) == 0

    def cube(self, vec: list[int], tiers: list[list[int]], banned: frozenset[int] = frozenset()) -> list[int] | None:
        """Columns, at most ``MAX_LITERALS``, on which no sample row agrees with ``vec``: greedy, each pick
        the column of the first tier that rules out the most rows still agreeing (ties: column position);
        then literals that became redundant are dropped. None when the cap is not enough. Columns in
        ``banned`` are never picked."""
        left = self.everyone
        chosen: list[int] = []
        while left:
            best: tuple[int, int] | None = None
            for tier in tiers:
                for j in tier:
                    if j in chosen or j in banned:
                        continue
                    hit = (left & ~self.mask(j, vec[j])).bit_count()
                    if hit and (best is None or hit > best[0]):
                        best = (hit, j)
                if best is not None:
                    break
            if best is None or len(chosen) == MAX_LITERALS:
                return None
            chosen.append(best[1])
            left &= self.mask(best[1], vec[best[1]])
        for j in reversed(list(chosen)):  # irredundant: drop what the others already exclude
            rest = [(k, vec[k]) for k in chosen if k != j]
            if rest and self.matching(rest) == 0:
                chosen.remove(j)
        return sorted(chosen)

    def cubes(self, vec: list[int], tiers: list[list[int]]) -> list[list[int]]:
        """The greedy cube first, then up to ``ALTERNATIVES`` others: the greedy cube with one of its columns
        banned, and the greedy cube widened by one more column, the first of each tier it lacks (a weaker
        clause). When the first cube's
        clause was proposed before and Houdini killed it, the same CTI row may still be excluded by one of
        these, so the loop goes on instead of stopping on a repeated counterexample."""
        first = self.cube(vec, tiers)
        if first is None:
            return []
        out = [first]
        for j in first:
            alt = self.cube(vec, tiers, frozenset({j}))
            if alt is not None and alt not in out:
                out.append(alt)
        if len(first) < MAX_LITERALS:
            for tier in tiers:
                for j in tier:
                    wider = sorted([*first, j])
                    if j not in first and wider not in out:
                        out.append(wider)
                        break
        return out[:1 + ALTERNATIVES]


# ------------------------------------------------------------------------------------ the loop
@dataclass
class Report:
    rounds: int = 0
    ctis: int = 0
    rows: int = 0  # CTI rows no sample row has
    wide: int = 0  # of those, rows no sub-cube of at most MAX_LITERALS literals excludes
    added: int = 0
    kept: int = 0
    seconds: float = 0.0
    stopped: str = ""
    why_not: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        return (f"{self.rounds} rounds, {self.ctis} counterexamples to induction, {self.rows} new rows "
                f"({self.wide} too wide for {MAX_LITERALS} literals), {self.added} clauses "
                f"proposed, {self.kept} kept, {self.seconds:.1f} s" + (f" ({self.stopped})" if self.stopped else ""))


@dataclass
class Cti:
    """One counterexample to induction: what it violates, its rows, the base positions it concerns."""

    targets: list[str]  # open targets it violates ("" entries for chased clauses)
    rows: list[list[int]]
    positions: set[int]


class Strengthen:
    def __init__(self, h: Houdini, cols: Columns, rows: set[tuple], targets: list[str],
                 progress: Progress | None, rounds: int = MAX_ROUNDS) -> None:
        self.h, self.cols, self.rows, self.targets, self.progress = h, cols, rows, targets, progress
        self.max_rounds = rounds
        self.model: Model = h.system.model
        self.props = {it.name: k for k, it in enumerate(h.items) if isinstance(it, Property)}
        self.samples: Samples | None = None
        self.known = {_key(it) for it in h.items if isinstance(it, Clause)}
        self.pcs = [j for j, c in enumerate(cols.cols) if c.name.endswith(".pc")]

    def say(self, text: str) -> None:
        if self.progress:
            self.progress(text)

    def run(self, out: Outcome, deadline: float) -> tuple[Outcome, Report]:
        t0 = time.monotonic()
        stop = t0 + SHARE * max(0.0, deadline - t0)
        rep = Report()
        h = self.h
        chase: list[int] = []  # clauses of the last round that did not survive: their CTIs are generalised too
        last: dict[str, str] = {}  # open target -> where its last CTI was found (in any round)
        stalled = 0
        try:
            while True:
                open_props = [k for k in sorted(self.props.values()) if k not in h.alive]
                chase = [k for k in chase if k not in h.alive]
                assume = sorted(set(h.alive) | set(open_props) | set(chase))
                ctis: list[Cti] = []
                blocked: dict[str, str] = {}  # open target -> where its last CTI was found
                for q, a in zip(h.queries[1:], self.model.actions):
                    self.say(f"counterexamples to induction, round {rep.rounds + 1}: {q.name}")
                    step = self._step_exprs(a.thread, a.step)
                    for group in (open_props, chase):
                        for bad, rows, zm in self._ctis(q, group, assume, stop):
                            names = [self.h.items[k].name for k in bad if k in open_props]  # type: ignore[union-attr]
                            for name in names:
                                blocked[name] = q.name
                            exprs = step + [self.h.items[k].expr for k in bad if k in open_props]  # type: ignore[union-attr]
                            pos = set(self._positions(exprs))
                            for k in bad:
                                if k not in open_props:
                                    pos |= self.h.items[k].positions()  # type: ignore[union-attr]
                            ctis.append(Cti(names, rows, pos))
                for name in ("deadlock", "range"):
                    if name not in self.targets:
                        continue
                    self.say(f"counterexamples to induction, round {rep.rounds + 1}: {name}")
                    q = h.consequence_query(name)
                    r = h._check(q, assume, stop, None)
                    if r == z3.sat:
                        zm = q.solver.model()
                        ctis.append(Cti([name], self._rows(q, zm), set(self._pcs_steps(zm))))
                        blocked[name] = "a deadlocked state" if name == "deadlock" else "an update out of range"
                    q.solver.pop()
                last.update(blocked)
                # (with the chased clauses assumed an open property may have no CTI this round: still open)
                if not open_props and not blocked:
                    rep.stopped = "every target proved"
                    break
                found = dict(blocked)
                blocked = {name: last[name] for name in last
                           if name in blocked or name in {h.items[k].name for k in open_props}}  # type: ignore[union-attr]
                if stalled == STALL:
                    rep.stopped = f"{STALL} rounds without a kept clause"
                    for name, where in blocked.items():
                        rep.why_not[name] = ("the clauses that exclude its counterexamples to induction were not "
                                             f"inductive (last counterexample: {where})")
                    break
                if rep.rounds == self.max_rounds:
                    rep.stopped = f"round limit ({self.max_rounds})"
                    for name, where in blocked.items():
                        rep.why_not[name] = (f"no inductive strengthening found in {self.max_rounds} rounds of "
                                             f"counterexample-guided clauses (last counterexample: {where})")
                    break
                rep.ctis += len(ctis)
                new, weak = self._generalise(ctis, found, rep)
                if not new:
                    rep.stopped = "no new clause excludes a counterexample"
                    for name, where in blocked.items():
                        rep.why_not.setdefault(name, "the clauses that exclude its counterexamples to induction "
                                                     f"were not inductive (last counterexample: {where})")
                    break
                rep.rounds += 1
                rep.added += len(new)
                idx = h.extend(new)
                chase = [k for k, w in zip(idx, weak) if w]
                self.say(f"houdini on {len(assume) + len(idx)} candidates (round {rep.rounds})")
                before = list(h.alive)
                try:
                    done = out.rounds
                    out = h.run(stop, self.progress, start=[*assume, *idx], settled=set(before))
                    out.rounds += done
                    grew = len(set(h.alive) - set(before) - set(chase) - set(open_props))
                    stalled = 0 if grew or any(k in h.alive for k in open_props) else stalled + 1
                except OutOfTime:
                    h.alive = before
                    raise
        except OutOfTime as e:
            rep.stopped = f"time budget of the counterexample loop ({e})"
        first_new = len(h.items) - rep.added
        rep.kept = sum(1 for i in h.alive if i >= first_new)
        rep.seconds = time.monotonic() - t0
        if rep.stopped.startswith("time"):
            for name, where in last.items():
                rep.why_not.setdefault(name, "no inductive strengthening found before the time budget of the "
                                             f"counterexample loop ended (last counterexample: {where})")
        return out, rep

    # -------------------------------------------------------------------------------------- CTIs
    def _ctis(self, q: Query, group: list[int], assume: list[int], stop: float
              ) -> list[tuple[list[int], list[list[int]], z3.ModelRef]]:
        """Up to ``CTIS_PER_QUERY`` pre-states satisfying ``assume`` whose step violates items of ``group``,
        each violating some item the earlier ones did not."""
        out = []
        left = list(group)
        while left and len(out) < CTIS_PER_QUERY:
            r = self.h._check(q, assume, stop, z3.Or([z3.Not(q.goals[k]) for k in left]))
            if r != z3.sat:
                q.solver.pop()
                break
            zm = q.solver.model()
            bad = [k for k in left if z3.is_false(zm.eval(q.goals[k], model_completion=True))]
            rows = self._rows(q, zm)
            q.solver.pop()
            if not bad:
                break
            out.append((bad, rows, zm))
            left = [k for k in left if k not in bad]
        return out

    def _step_exprs(self, thread: int, step: int) -> list[Expr]:
        exprs: list[Expr] = []
        for c in self.model.threads[thread].steps[step].cases:
            exprs.append(c.guard)
            for u in c.updates:
                exprs += [u.target, u.value]  # type: ignore[list-item]
        return exprs

    def _rows(self, q: Query, zm: z3.ModelRef) -> list[list[int]]:
        """The CTI's pre-state as column vectors, one per distinct page term inside ``0 .. N-1``."""
        n = zm.eval(self.h.system.n, model_completion=True)
        size = n.as_long() if z3.is_int_value(n) else 0  # type: ignore[attr-defined]
        pages: list[int] = []
        for t in q.terms:
            v = zm.eval(t, model_completion=True)
            if z3.is_int_value(v) and 0 <= v.as_long() < size and v.as_long() not in pages:  # type: ignore[attr-defined]
                pages.append(v.as_long())  # type: ignore[attr-defined]
        out = []
        for p in pages:
            base = tuple(_num(zm.eval(e, model_completion=True)) for e in self.cols.terms(self.h.x, z3.IntVal(p)))
            out.append([c.value(base) for c in self.cols.cols])
        return out

    def _pcs_steps(self, zm: z3.ModelRef) -> list[int]:
        """Base positions read or written by the steps the threads of a state stand at."""
        exprs: list[Expr] = []
        for t in self.model.threads:
            pc = _num(zm.eval(self.h.x.pc(t.index), model_completion=True))
            if 0 <= pc < len(t.steps):
                exprs += self._step_exprs(t.index, pc)
        return self._positions(exprs)

    def _positions(self, exprs: list[Expr]) -> list[int]:
        decls = {id(node.decl) for e in exprs for node in walk(e) if isinstance(node, VarRef)}
        out = []
        for i, (_, _, how) in enumerate(self.cols.base):
            kind = how[0]  # type: ignore[index]
            if (kind == "key" and how[1][0] == "v" and how[1][1] in decls) or \
                    (kind in ("cell", "fixed") and id(how[1]) in decls):  # type: ignore[index]
                out.append(i)
        return out

    # ------------------------------------------------------------------------------ generalising
    def _generalise(self, ctis: list[Cti], blocked: dict[str, str], rep: Report) -> tuple[list[Clause], list[bool]]:
        """New clauses (and whether each is the plain negation of its cube, the one chased next round)."""
        if self.samples is None:
            self.say(f"indexing {len(self.rows)} sample rows")
            self.samples = Samples(self.cols, self.rows)
        s = self.samples
        cols = self.cols.cols
        new: list[Clause] = []
        weak: list[bool] = []
        fresh_rows: dict[str, int] = {}
        for cti in ctis:
            pos = cti.positions
            mentioned = [j for j, c in enumerate(cols) if s.usable[j] and
                         (c.index in pos if c.pair is None else bool(set(c.pair) & pos))]
            first = [j for j in self.pcs if s.usable[j]] + [j for j in mentioned if j not in self.pcs]
            # Orders of page-valued terms count only where the target or the action mentions one side: two
            # or three pages cannot show every order of several such terms (and of 0, N-1, N), so a row is
            # new by its orders alone at every larger page count, and a clause on them would be noise.
            rest = [j for j in range(len(cols)) if s.usable[j] and j not in first and cols[j].pair is None]
            taken = 0
            for vec in cti.rows:
                if taken == MAX_ROWS or len(new) >= MAX_NEW:
                    break
                if not s.novel(vec, first + rest):
                    continue
                taken += 1
                for name in cti.targets:
                    fresh_rows[name] = fresh_rows.get(name, 0) + 1
                rep.rows += 1
                cubes = s.cubes(vec, [first, rest])
                if not cubes:
                    rep.wide += 1
                    continue
                for cube in cubes:  # the first cube that gives a clause not proposed before
                    fresh = [(c, w) for c, w in self._clauses(cube, vec, set(mentioned)) if _key(c) not in self.known]
                    for c, w in fresh:
                        self.known.add(_key(c))
                        new.append(c)
                        weak.append(w)
                    if fresh:
                        break
        for name in blocked:
            if not fresh_rows.get(name):
                rep.why_not[name] = ("every row of the counterexample to induction "
                                     f"({blocked[name]}) occurs in the sample states: the target may be violated, "
                                     "or it needs a clause over two pages or a fact no one-page clause expresses "
                                     "(counting, linear equalities)")
        return new[:MAX_NEW], weak[:MAX_NEW]

    def _clauses(self, cube: list[int], vec: list[int], mentioned: set[int]) -> list[tuple[Clause, bool]]:
        """``¬(cube)`` as ``premises → conclusion``, the conclusion on the most data-like column; and the
        stronger form whose conclusion lists only the values the samples show under the premises."""
        s = self.samples
        assert s is not None
        cols = self.cols.cols

        def rank(j: int) -> tuple:
            c = cols[j]
            return (c.name.endswith(".pc"), c.pair is not None, not self.cols.paged(c), j not in mentioned, j)

        j = min(cube, key=rank)
        prem = [(k, vec[k]) for k in cube if k != j]
        premises = tuple((cols[k], v) for k, v in prem)
        paged = any(self.cols.paged(c) for c, _ in premises) or self.cols.paged(cols[j])
        weak = [v for v in s.dom[j] if v != vec[j]]
        under = s.matching(prem)
        strong = [v for v in s.dom[j] if under & s.mask(j, v)]
        out = []
        if strong and strong != weak:
            out.append((Clause(premises, cols[j], tuple(strong), paged), False))
        if weak:
            out.append((Clause(premises, cols[j], tuple(weak), paged), True))
        return out


def _key(c: Clause) -> tuple:
    return (tuple(sorted((col.name, v) for col, v in c.premises)), c.col.name, tuple(c.values))


def _num(v: z3.ExprRef) -> int:
    if z3.is_true(v):
        return 1
    if z3.is_false(v):
        return 0
    return v.as_long()  # type: ignore[attr-defined,no-any-return]


def strengthen(h: Houdini, out: Outcome, cols: Columns, rows: set[tuple], targets: list[str], deadline: float,
               progress: Progress | None = None, rounds: int = MAX_ROUNDS) -> tuple[Outcome, Report]:
    """Grow the candidate set from counterexamples to induction until the open targets are proved (see the
    module doc); returns Houdini's last outcome (what survived) and what the loop did."""
    return Strengthen(h, cols, rows, targets, progress, rounds).run(out, deadline)
