"""The expression language and the builder: typing at construction, refusal of Python booleans, and one
test per build-time error, each naming the model, thread, step and the model file's line."""

from __future__ import annotations

import pytest

from collapsecheck.orchestration import loader
from collapsecheck.dsl import BOOL, And, Array, ArrayOf, Count, Enum, ForAll, Implies, IntRange, Ite, Not, Or
from collapsecheck.errors import ModelError, ModelTypeError
from collapsecheck.expr.printer import show
from collapsecheck.model.builder import Builder

Slot = Enum("Slot", "HOLE PAGE RETRY HUGE")


def _b() -> Builder:
    return Builder("t")


def test_expressions_refuse_python_booleans():
    m = _b()
    x = m.var("x", IntRange(0, 3), init=0)
    with pytest.raises(TypeError, match="symbolic"):
        bool(x == 1)
    with pytest.raises(TypeError, match="symbolic"):
        if x > 0:  # noqa: SIM108 - the point of the test
            pass
    with pytest.raises(TypeError, match="And"):
        (x == 1) & (x == 2)  # noqa: B018


def test_sorts_are_checked_when_expressions_are_built():
    m = _b()
    x = m.var("x", IntRange(0, 3), init=0)
    s = m.var("s", Slot, init=Slot.HOLE)
    b = m.var("b", BOOL, init=False)
    with pytest.raises(ModelTypeError, match="cannot compare"):
        s == 1  # noqa: B015
    with pytest.raises(ModelTypeError, match="needs an integer"):
        b + 1  # noqa: B018
    with pytest.raises(ModelTypeError, match="not a member"):
        s == "FILLED"  # noqa: B015
    with pytest.raises(ModelTypeError, match="not an array"):
        x[0]  # noqa: B018
    other = Enum("Other", "HOLE")
    with pytest.raises(ModelTypeError, match="cannot compare"):
        s == other.HOLE  # noqa: B015
    arr = m.var("a", Array(Slot, 2), init=Slot.HOLE)
    with pytest.raises(ModelTypeError, match="always outside"):
        arr[5]  # noqa: B018


def test_printer_is_readable_and_stable():
    m = _b()
    N = m.size("pages", 2)
    slot = m.var("slot", Array(Slot, N), init=Slot.HOLE)
    i = m.var("i", IntRange(0, N), init=0)
    e = ForAll(N, lambda k: Implies(slot[k] == Slot.RETRY, i < N))
    assert show(e) == "all((slot[i] == RETRY) implies (i < pages) for i in range(pages))"
    assert show(And(Not(slot[i] == "HOLE"), Or(i == 0, i == 1))) == "(not (slot[i] == HOLE)) and ((i == 0) or (i == 1))"
    assert show(Count(N, lambda k: slot[k] == Slot.HOLE)) == "count(slot[i] == HOLE for i in range(pages))"
    assert show(Ite(i == 0, 1, 2) + 1) == "(1 if i == 0 else 2) + 1"
    assert show(ArrayOf(N, lambda k: Slot.HUGE)) == "[HUGE for i in range(pages)]"


def test_arithmetic_ranges_are_exact():
    m = _b()
    x = m.var("x", IntRange(0, 3), init=0)
    e = x + 2 - x
    assert (e.sort.lo_v, e.sort.hi_v) == (-1, 5)


# ----------------------------------------------------------------------------- build-time errors
def _error(write_model, text: str) -> ModelError:
    path = write_model(text)
    with pytest.raises(ModelError) as info:
        loader.build(path)
    return info.value


def test_unknown_goto_names_thread_step_and_line(write_model):
    e = _error(write_model, """
        from collapsecheck.dsl import *
        def build(m):
            t = m.thread("collapse")
            t.step("xas_lock_irq", goto="nowhere")
    """)
    assert e.loc.line == 4 and e.loc.file.endswith("m.py")
    assert "thread 'collapse'" in str(e) and "step 'xas_lock_irq'" in str(e) and "nowhere" in str(e)


def test_unreachable_step_is_an_error(write_model):
    e = _error(write_model, """
        from collapsecheck.dsl import *
        def build(m):
            t = m.thread("collapse")
            t.step("a", goto="END")
            t.step("never_reached")
    """)
    assert e.loc.line == 5 and "unreachable" in e.message and "never_reached" in e.message


def test_duplicate_step_and_double_assignment(write_model):
    e = _error(write_model, """
        from collapsecheck.dsl import *
        def build(m):
            t = m.thread("c")
            t.step("a")
            t.step("a")
    """)
    assert e.loc.line == 5 and "declared twice" in e.message
    e = _error(write_model, """
        from collapsecheck.dsl import *
        def build(m):
            x = m.var("x", IntRange(0, 3), init=0)
            lock = kernel.SpinLock(m, "xa_lock")
            t = m.thread("c")
            t.step("a", lock.lock(t), lock.unlock(t))
    """)
    assert e.loc.line == 6 and "assigned twice" in e.message


def test_writing_another_threads_local_is_refused(write_model):
    e = _error(write_model, """
        from collapsecheck.dsl import *
        def build(m):
            a = m.thread("a")
            x = a.local("x", BOOL, init=False)
            a.step("s")
            b = m.thread("b")
            b.step("poke", do={x: True})
    """)
    assert e.loc.line == 7 and "cannot write a.x" in e.message


def test_type_error_in_a_step_names_the_line(write_model):
    e = _error(write_model, """
        from collapsecheck.dsl import *
        def build(m):
            x = m.var("x", IntRange(0, 3), init=0)
            t = m.thread("c")
            t.step("s", do={x: True})
    """)
    assert e.loc.line == 5 and "x is a 0..3 but is assigned true of sort bool" in e.message


def test_constant_out_of_range_and_bad_initial_value(write_model):
    e = _error(write_model, """
        from collapsecheck.dsl import *
        def build(m):
            x = m.var("x", IntRange(0, 3), init=0)
            t = m.thread("c")
            t.step("s", do={x: 7})
    """)
    assert e.loc.line == 5 and "outside its range" in e.message
    e = _error(write_model, """
        from collapsecheck.dsl import *
        def build(m):
            x = m.var("x", IntRange(0, 3), init=9)
    """)
    assert e.loc.line == 3 and "initial value" in e.message


def test_at_step_with_unknown_label(write_model):
    e = _error(write_model, """
        from collapsecheck.dsl import *
        def build(m):
            t = m.thread("c")
            t.step("s")
            m.always("p", Not(t.at("missing")))
    """)
    assert e.loc.line == 5 and "no step 'missing'" in e.message


def test_otherwise_must_be_last(write_model):
    e = _error(write_model, """
        from collapsecheck.dsl import *
        def build(m):
            x = m.var("x", BOOL, init=False)
            t = m.thread("c")
            t.branch("s", otherwise(), case(when=x))
    """)
    assert "otherwise(...) must be the last case" in e.message


def test_python_if_on_an_expression_is_reported_at_its_line(write_model):
    e = _error(write_model, """
        from collapsecheck.dsl import *
        def build(m):
            x = m.var("x", BOOL, init=False)
            if x:
                pass
    """)
    assert e.loc.line == 4 and "symbolic" in e.message


def test_kernel_primitives_compose_into_steps(write_model):
    path = write_model("""
        from collapsecheck.dsl import *
        def build(m):
            xa = kernel.SpinLock(m, "xa_lock")
            pl = kernel.SleepLock(m, "page_lock", 2)
            sem = kernel.RwSem(m, "mmap_lock", max_readers=2)
            ref = kernel.Refcount(m, "ref", max_refs=3, init=1)
            t = m.thread("c")
            t.step("lock", xa.lock(t), pl.lock(t, 1), sem.down_read(t), ref.get())
            t.branch("freeze", case(ref.freeze(2), label="frozen"), otherwise(label="busy"))
            t.step("unlock", xa.unlock(t), pl.unlock(t, 1), sem.up_read(t))
    """)
    model = loader.build(path)
    step = model.threads[0].steps[0]
    targets = [show(u.target) for u in step.cases[0].updates]
    assert targets == ["xa_lock", "page_lock[1]", "mmap_lock.readers", "ref"]
    assert show(step.cases[0].guard).startswith("(xa_lock == nobody) and (page_lock[1] == nobody)")
