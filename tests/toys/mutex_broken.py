"""Test-then-set mutual exclusion: both CPUs can read the flag clear and enter the critical section."""
from collapsecheck.dsl import BOOL, And, Not


def build(m, *, atomic: bool = False) -> None:
    flag = m.var("flag", BOOL, init=False)
    cpus = []
    for name in ("cpu0", "cpu1"):
        t = m.thread(name)
        if atomic:
            t.step("test_and_set", when=Not(flag), do={flag: True})
        else:
            t.step("test", when=Not(flag))
            t.step("set", do={flag: True})
        t.step("critical_section")
        t.step("clear", do={flag: False})
        cpus.append(t)
    m.always("mutual_exclusion", Not(And(cpus[0].at("critical_section"), cpus[1].at("critical_section"))))
    m.sometimes("cpu0_enters", cpus[0].at("critical_section"))
