"""Toy for the prove engine's cell-equality columns: a copy loop, whose invariant is "copied = source".

A copier walks the pages in index order and copies each page's data into a new page (``copy[i] =
data[i]``); the target ``copy_matches_source`` says that once it is done every copy equals its source.
The inductive invariant is ``copier@copy ∧ p < copier.i → copy[p] = data[p]``: with one clause per data
value it would need three premises (the program counter, the order of ``p`` against the loop index and the
source's value), which no template mines; the equality of two cells of one page as a column of its own
(``columns.Columns``) makes it two. Size-generic in ``pages``. ``bug = "skip_last"`` stops one page short
(violated). Not kernel code: a test fixture.
"""
from collapsecheck.dsl import And, Array, Enum, ForAll, Implies, OneOf, IntRange, case

Data = Enum("Data", "ZERO OLD NEW LOST")


def build(m, *, pages: int = 2, bug: str = "none") -> None:
    N = m.size("pages", pages)
    data = m.var("data", Array(Data, N), init=OneOf(Data.ZERO, Data.OLD, Data.NEW))
    copy = m.var("copy", Array(Data, N), init=Data.LOST)

    c = m.thread("copier")
    i = c.local("i", IntRange(0, N), init=0)
    last = N - 1 if bug == "skip_last" else N
    c.branch("copy",
             case(when=i >= last, goto="END", label="all copied"),
             case(when=i < last, do={copy[i]: data[i], i: i + 1}, goto="copy", label="copy one page"))

    m.always("copy_matches_source", Implies(c.done, ForAll(N, lambda k: copy[k] == data[k])))
    m.sometimes("copied", And(c.done, ForAll(N, lambda k: copy[k] != Data.LOST)))
