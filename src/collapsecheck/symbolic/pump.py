"""Trace pumping: a counterexample at a large fixed size from the shortest ones at small consecutive sizes.

When the shortest counterexample grows with the page count (one collapse-loop iteration per page), a
bounded search at 512 pages cannot reach it. The explicit engine finds the shortest counterexamples of
the same model at three consecutive small sizes (2, 3, 4, or the first three the model builds at and is
violated at); for a size-generic model (same template at every size: ``reduction.fingerprint``) their
action ids mean the same steps at every size. Aligning the traces of consecutive sizes gives the
segments inserted per extra page and where (the insertion point moves by a constant per size); the action
sequence is extrapolated to the target size by inserting those segments once per missing size. The
initial state is extrapolated per variable (a scalar equal at every small size is kept, one that grows
by a constant per size is extended linearly; an array that grows by one element per size repeats the
inserted element), or, when that does not fit, chosen by Z3 for the pumped sequence (``trace.concretize``
at the target size).

Only a trace that replays through the reference semantics at the target size (``trace.replay_checked``:
an initial state, every step enabled, the last state violating the property of the small traces) is
returned.

This module must not: claim the pumped trace is the shortest (it is not in general: it is as long as the
pattern of the small sizes makes it), return a trace that has not been replayed at the target size, decide
verdicts, print, or know any model by name. A failure is an answer ("why"), never an exception.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass, field
from typing import Any

from collapsecheck.engine_config import ModelBuilder
from collapsecheck.errors import CollapsecheckError, InternalError
from collapsecheck.model.core import Model
from collapsecheck.result import Trace, Verdict
from collapsecheck.symbolic import reduction
from collapsecheck.symbolic.system import Target

FIRST = 2  # the smallest size tried
LAST = 6  # the largest small size tried (three consecutive sizes are needed between FIRST and LAST)
COUNT = 3  # consecutive small sizes: two alignments, so the per-size move of each insertion point is seen


@dataclass
class Pumped:
    """A replayed counterexample at the target size, and how it was made."""

    prop: str
    trace: Trace
    sizes: list[int]  # the small sizes whose shortest counterexamples were pumped
    lengths: list[int]  # their lengths
    per_size: int  # actions inserted per extra size
    initial: str  # "extrapolated" or "chosen by Z3 (concretiser)"
    seconds: dict[str, float] = field(default_factory=dict)

    def how(self, size: str, value: int) -> str:
        return (f"pumped from the shortest traces at {size} {', '.join(map(str, self.sizes))} (explicit engine, "
                f"lengths {', '.join(map(str, self.lengths))}, {self.per_size} more per unit of {size}); initial state "
                f"{self.initial}; replayed at {size}={value}; {len(self.trace)} steps")


@dataclass
class Small:
    size: int
    model: Model
    prop: str
    aids: list[int]
    s0: tuple


Insertion = tuple[int, tuple[int, ...]]  # (position in the shorter sequence, inserted actions)


def pump(model: Model, size: str, build: ModelBuilder | None, deadline: float, max_states: int = 2_000_000
         ) -> tuple[Pumped | None, str]:
    """(a replayed counterexample of ``model`` at its value of ``size``, "") or (None, why not).

    Windows of ``COUNT`` consecutive small sizes are tried from the smallest; in each, every property
    violated at all of them (declaration order; the explicit engine keeps a shortest trace per property)."""
    value = {s.name: s.value for s in model.sizes}[size]
    t0 = time.monotonic()
    want = reduction.fingerprint(model, size)
    window: list[_Size] = []
    notes: list[str] = []
    for n in range(FIRST, min(LAST, value - 1) + 1):
        got, why = _small(model, size, n, want, build, deadline, max_states)
        if got is None:
            notes.append(why)
            window = []
            if time.monotonic() >= deadline:
                break
            continue
        window = (window + [got])[-COUNT:]
        if len(window) < COUNT:
            continue
        common = [p.name for p in model.always if all(p.name in w.traces for w in window)]
        if not common:
            notes.append(f"{size} {', '.join(str(w.size) for w in window)}: no property violated at all of them")
        for prop in common:
            smalls = [Small(w.size, w.model, prop, [st.action for st in w.traces[prop].steps],
                            w.traces[prop].states[0]) for w in window]
            t1 = time.monotonic()
            found, why = _pump_one(model, size, value, smalls, deadline)
            if found is None:
                notes.append(f"{prop} at {size} {', '.join(str(w.size) for w in window)}: {why}")
                continue
            trace, initial, per = found
            return Pumped(prop, trace, [s.size for s in smalls], [len(s.aids) for s in smalls], per, initial,
                          {"small": t1 - t0, "pump": time.monotonic() - t1}), ""
    return None, "; ".join(notes) or f"no small size of {size} below {value}"


@dataclass
class _Size:
    size: int
    model: Model
    traces: dict[str, Trace]  # property -> a shortest counterexample (explicit engine)


def _small(model: Model, size: str, n: int, want: Any, build: ModelBuilder | None, deadline: float,
           max_states: int) -> tuple[_Size | None, str]:
    """The model at ``size`` = n and the explicit engine's shortest counterexample per violated property."""
    from collapsecheck.explicit.engine import check

    left = deadline - time.monotonic()
    if left <= 0:
        return None, f"{size}={n}: time limit reached"
    try:
        m = reduction.rebuild(model, size, n, build)
    except CollapsecheckError as e:
        return None, f"{size}={n}: not built ({e})"
    if reduction.fingerprint(m, size) != want:
        return None, f"{size}={n}: not the same template as at the target size"
    res, _ = check(m, max_states=max_states, timeout=left)
    if not res.violations:
        return None, f"{size}={n}: explicit engine answered {res.verdict}"
    if res.bound != "exhaustive" or res.extra.get("trace_minimal") is False:
        return None, f"{size}={n}: explicit search incomplete ({res.bound})"
    return _Size(n, m, dict(res.violations)), ""


def _pump_one(model: Model, size: str, value: int, smalls: list[Small], deadline: float
              ) -> tuple[tuple[Trace, str, int] | None, str]:
    """The small traces of one property pumped to ``value`` and replayed (trace, how the initial state was
    found, actions per size), or (None, why)."""
    target = Target("always", smalls[0].prop, model.property(smalls[0].prop))
    tried: list[str] = []
    for label, seqs in (("as found", [s.aids for s in smalls]), ("in normal order", _normal(smalls))):
        steps = insertions(seqs)
        if steps is None:
            tried.append(f"the traces {label} do not align as insertions of the same segments")
            continue
        aids = extend(seqs[-1], steps, smalls[-1].size, value)
        got, why = _replayed(model, size, value, smalls, aids, target, deadline)
        if got is None:
            tried.append(f"pumped {label} ({len(aids)} steps): {why}")
            continue
        return (got[0].trace, got[1], sum(len(seg) for _, seg in steps[-1])), ""
    return None, "; ".join(tried)


def _normal(smalls: list[Small]) -> list[list[int]]:
    """The small traces in the canonical interleaving (``trace.normal_order``): BFS may interleave the
    threads differently at different sizes; the normal order removes most of that difference."""
    from collapsecheck.symbolic.trace import normal_order

    return [normal_order(s.model, s.s0, s.aids, Target("always", s.prop, s.model.property(s.prop))) for s in smalls]


def diff(a: list[int], b: list[int]) -> list[Insertion] | None:
    """``b`` as ``a`` with segments inserted: [(position in a, segment)], or None if it is not that."""
    out: list[Insertion] = []
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    for tag, i1, _i2, j1, j2 in ops:
        if tag == "equal":
            continue
        if tag != "insert":
            return None
        out.append((i1, tuple(b[j1:j2])))
    return out


def insertions(seqs: list[list[int]]) -> list[list[Insertion]] | None:
    """The insertions between consecutive sequences, when every step inserts the same segments in the same
    order (None otherwise, and for traces that do not grow: those need no pumping but no pattern either)."""
    steps = [diff(a, b) for a, b in zip(seqs, seqs[1:])]
    if any(s is None for s in steps):
        return None
    shapes = {tuple(seg for _, seg in s) for s in steps}  # type: ignore[union-attr]
    if len(shapes) != 1:
        return None
    return steps  # type: ignore[return-value]


def extend(seq: list[int], steps: list[list[Insertion]], at: int, to: int) -> list[int]:
    """``seq`` (the trace at size ``at``) grown to size ``to``: each size inserts the same segments, each
    insertion point moving by the amount it moved between the last two observed sizes."""
    moves = [b[0] - a[0] for a, b in zip(steps[-2], steps[-1])] if len(steps) > 1 else [0] * len(steps[-1])
    pos = [p + m for (p, _), m in zip(steps[-1], moves)]  # insertion points in ``seq``'s coordinates
    segs = [seg for _, seg in steps[-1]]
    out = list(seq)
    for _ in range(at, to):
        for p, seg in sorted(zip(pos, segs), key=lambda x: -x[0]):  # from the end: earlier points stay valid
            out[p:p] = seg
        pos = [p + m for p, m in zip(pos, moves)]
    return out


@dataclass
class _Found:
    prop: str
    trace: Trace


def _replayed(model: Model, size: str, value: int, smalls: list[Small], aids: list[int], target: Target,
              deadline: float) -> tuple[tuple[_Found, str] | None, str]:
    """The pumped sequence replayed at the target size from an extrapolated initial state, else from one Z3
    picks (the concretiser); cut at the first violating state."""
    from collapsecheck.symbolic.bmc import Undecided
    from collapsecheck.symbolic.trace import concretize

    s0 = initial_state(model, smalls, value)
    why = "the initial state does not extrapolate"
    if s0 is not None:
        found = _cut(model, s0, aids, target)
        if found is not None:
            return (found, "extrapolated"), ""
        why = "does not replay from the extrapolated initial state"
    try:
        tr = concretize(model, aids, target, deadline)
    except Undecided as e:
        return None, f"{why}; the concretiser at {size}={value} gave up ({e.why})"
    except InternalError as e:
        return None, f"{why}; the concretiser's trace did not replay ({e})"
    if tr is None:
        return None, f"{why}; no initial state at {size}={value} makes it a counterexample (Z3)"
    found = _cut(model, tr.states[0], aids, target)
    if found is None:
        return None, f"{why}; the concretiser's trace did not replay"
    return (found, "chosen by Z3 (concretiser)"), ""


def _cut(model: Model, s0: tuple, aids: list[int], target: Target) -> _Found | None:
    """The replay of ``aids`` from ``s0``, checked by ``replay_checked`` (its last state must violate the
    target); None when it does not replay or does not end in a violation.

    The trace is not cut at an earlier violation: evaluating every property at every state of a 1000-step
    trace over 512 pages costs about a minute, against a second for this replay; the small traces it comes
    from are shortest, so none of their earlier states violates a property."""
    from collapsecheck.symbolic.trace import replay_checked

    try:
        return _Found(target.name, replay_checked(model, s0, aids, target))
    except CollapsecheckError:
        return None


def _columns(model: Model, s: tuple) -> dict[tuple, list[Any]]:
    """The state grouped by variable: program counters by thread, variables by qualified name."""
    out: dict[tuple, list[Any]] = {}
    for slot, v in zip(model.layout.slots, s):
        key = ("pc", slot.thread) if slot.decl is None else ("v", slot.decl.qualname)
        out.setdefault(key, []).append(v)
    return out


def initial_state(model: Model, smalls: list[Small], value: int) -> tuple | None:
    """The small traces' initial states extrapolated to ``value`` (None when a variable does not follow one
    of the patterns: equal at every size, growing by a constant per size, one more equal element per size)."""
    cols = [_columns(s.model, s.s0) for s in smalls]
    sizes = [s.size for s in smalls]
    want = _columns(model, tuple(0 for _ in model.layout.slots))
    out: dict[tuple, list[Any]] = {}
    for key, blank in want.items():
        if any(key not in c for c in cols):
            return None
        got = _extrapolate([c[key] for c in cols], sizes, value)
        if got is None or len(got) != len(blank):
            return None
        out[key] = got
    pos = {k: 0 for k in out}
    state = []
    for slot in model.layout.slots:
        key = ("pc", slot.thread) if slot.decl is None else ("v", slot.decl.qualname)
        state.append(out[key][pos[key]])
        pos[key] += 1
    return tuple(state)


def _extrapolate(lists: list[list[Any]], sizes: list[int], value: int) -> list[Any] | None:
    lens = [len(x) for x in lists]
    if len(set(lens)) == 1:  # the same shape at every size: element by element
        cols = [_scalar([x[k] for x in lists], sizes, value) for k in range(lens[0])]
        return None if any(c is None for c in cols) else [c[0] for c in cols]  # type: ignore[index]
    if any(b - a != 1 for a, b in zip(lens, lens[1:])):
        return None
    # One element more per size: the same value inserted each time; repeat it.
    inserted = [_inserted(a, b) for a, b in zip(lists, lists[1:])]
    if any(i is None for i in inserted) or len({i[1] for i in inserted}) != 1:  # type: ignore[index]
        return None
    q, v = inserted[-1]  # type: ignore[misc]
    last = lists[-1]
    return last[:q] + [v] * (value - sizes[-1]) + last[q:]


def _scalar(vals: list[Any], sizes: list[int], value: int) -> tuple[Any] | None:
    if len(set(vals)) == 1:
        return (vals[0],)
    if any(isinstance(v, bool) or not isinstance(v, int) for v in vals):
        return None
    steps = {b - a for a, b in zip(vals, vals[1:])}
    if len(steps) != 1 or any(b - a != 1 for a, b in zip(sizes, sizes[1:])):
        return None
    return (vals[-1] + steps.pop() * (value - sizes[-1]),)


def _inserted(a: list[Any], b: list[Any]) -> tuple[int, Any] | None:
    """(position, value) of the one element whose insertion into ``a`` gives ``b``, if any."""
    for q in range(len(b)):
        if b[:q] == a[:q] and b[q + 1:] == a[q:]:
            return q, b[q]
    return None
