"""Deterministic generators for the fuzz tests (``test_fuzz.py``): small random valid models, and broken
model files made by mutating the shipped models.

Everything is driven by ``random.Random(seed)``: the same seed gives the same models and files.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from collapsecheck.dsl import BOOL, And, Enum, IntRange, Ite, Not, Or, case, kernel, otherwise
from collapsecheck.model.builder import Builder
from collapsecheck.model.core import Model

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------- random valid models
def random_model(seed: int) -> Model:
    """A tiny model: 2 threads of 1-3 steps over 1-3 shared variables (bool, 0..2, an enum), maybe a
    spinlock, one or two always properties. Updates may leave a range (a run-time model error)."""
    rnd = random.Random(seed)
    m = Builder(f"fuzz{seed}", file=f"<fuzz {seed}>")
    Color = Enum("Color", ["RED", "GREEN", "BLUE"])
    kinds = [rnd.choice(["bool", "int", "enum"]) for _ in range(rnd.randint(1, 3))]
    vars_ = []
    for k, kind in enumerate(kinds):
        if kind == "bool":
            vars_.append((kind, m.var(f"b{k}", BOOL, init=rnd.random() < 0.3)))
        elif kind == "int":
            vars_.append((kind, m.var(f"n{k}", IntRange(0, 2), init=rnd.randint(0, 1))))
        else:
            vars_.append((kind, m.var(f"c{k}", Color, init=Color.RED)))
    lock = kernel.SpinLock(m, "lock") if rnd.random() < 0.4 else None

    def atom() -> object:
        kind, v = rnd.choice(vars_)
        if kind == "bool":
            return v if rnd.random() < 0.5 else Not(v)
        if kind == "int":
            return rnd.choice([v == rnd.randint(0, 2), v < rnd.randint(1, 2), v > rnd.randint(0, 1)])
        return v == rnd.choice([Color.RED, Color.GREEN, Color.BLUE])

    def cond() -> object:
        r = rnd.random()
        if r < 0.6:
            return atom()
        if r < 0.8:
            return And(atom(), atom())
        return Or(atom(), atom())

    def value(kind: str, v: object) -> object:
        if kind == "bool":
            return rnd.choice([True, False, Not(v), cond()])
        if kind == "int":
            # n + 1 may leave 0..2: a run-time model error some seeds reach on purpose
            return rnd.choice([0, 1, 2, v + 1 if rnd.random() < 0.3 else Ite(v < 2, v + 1, v), Ite(cond(), 1, 0)])
        return rnd.choice([Color.RED, Color.GREEN, Color.BLUE])

    def updates() -> dict:
        out = {}
        for kind, v in rnd.sample(vars_, rnd.randint(0, min(2, len(vars_)))):
            out[v] = value(kind, v)
        return out

    for ti in range(2):
        t = m.thread(f"t{ti}")
        n_steps = rnd.randint(1, 3)
        names = [f"s{k}" for k in range(n_steps)]
        holding = False
        for k, name in enumerate(names):
            r = rnd.random()
            if lock is not None and not holding and r < 0.25:
                t.step(name, lock.lock(t), do=updates())
                holding = True
            elif lock is not None and holding and r < 0.6:
                t.step(name, lock.unlock(t), do=updates())
                holding = False
            elif r < 0.75:
                t.step(name, when=cond() if rnd.random() < 0.5 else None, do=updates())
            elif r < 0.9:
                cases = [case(when=cond(), do=updates(), label="a")]
                if rnd.random() < 0.5:
                    cases.append(case(when=cond(), do=updates(), label="b"))
                cases.append(otherwise(do=updates(), label="else"))
                t.branch(name, *cases)
            else:
                t.choose(name, case(do=updates(), label="x"), case(when=cond(), do=updates(), label="y"))
        if holding and lock is not None and rnd.random() < 0.5:
            t.step("release", lock.unlock(t))
    for k in range(rnd.randint(1, 2)):
        m.always(f"p{k}", Or(cond(), cond()) if rnd.random() < 0.5 else cond())
    if rnd.random() < 0.3:
        m.allow_deadlock()
    return m.freeze()


# ----------------------------------------------------------------------------- mutated shipped models
def sources() -> list[tuple[Path, dict[str, str]]]:
    """The shipped model files and toys, each with small build parameters."""
    import tomllib

    entries = tomllib.loads((ROOT / "models" / "manifest.toml").read_text())["check"]
    out = []
    for p in sorted((ROOT / "models").glob("*.py")):
        params = next((e.get("params", {}) for e in entries if e["model"] == p.stem), {})
        params = {k: str(v) for k, v in params.items()}
        if "pages" in params:
            params["pages"] = "2"
        out.append((p, params))
    for p in sorted((ROOT / "tests" / "toys").glob("*.py")):
        out.append((p, {}))
    return out


_IDENT = re.compile(r"\b[a-z_][a-z0-9_]{2,}\b")


def mutate(text: str, params: dict[str, str], rnd: random.Random) -> tuple[str, str, dict[str, str]]:
    """One mutation of a model file: (kind, new text, parameters)."""
    lines = text.split("\n")
    body = [k for k, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    kind = rnd.choice(["delete", "duplicate", "swap_names", "sort", "range", "param", "dup_key", "index"])
    if kind == "delete":
        k = rnd.choice(body)
        del lines[k]
    elif kind == "duplicate":
        k = rnd.choice(body)
        lines.insert(k, lines[k])
    elif kind == "swap_names":
        names = sorted(set(_IDENT.findall(text)) - {"def", "build", "import", "from", "return", "lambda", "for",
                                                     "not", "and", "else", "True", "False", "None"})
        a, b = rnd.sample(names, 2)
        k = rnd.choice(body)
        lines[k] = re.sub(rf"\b{a}\b", b, lines[k])
    elif kind == "sort":
        sorts = ["BOOL", "IntRange(0, 1)", "IntRange(0, 3)", "m.OWNER", "Array(BOOL, 2)"]
        cand = [k for k in body if re.search(r"BOOL|IntRange\([^()]*\)|Array\(", lines[k])]
        if cand:
            k = rnd.choice(cand)
            lines[k] = re.sub(r"BOOL|IntRange\([^()]*\)", rnd.choice(sorts), lines[k], count=1)
    elif kind == "range":
        cand = [k for k in body if "IntRange(" in lines[k]]
        if cand:
            k = rnd.choice(cand)
            lines[k] = re.sub(r"IntRange\(([^,()]*),", lambda mt: f"IntRange({rnd.choice(['1', '3', '-1', 'N'])},",
                              lines[k], count=1)
    elif kind == "param":
        params = dict(params)
        choice = rnd.random()
        if params and choice < 0.5:
            key = rnd.choice(sorted(params))
            params[key] = rnd.choice(["0", "-1", "x", "", "4", "true", "1.5"])
        elif choice < 0.75:
            params["no_such_param"] = "1"
        else:
            params["variant"] = rnd.choice(["nonsense", "post_fix", "pre_fix"])
    elif kind == "dup_key":
        cand = [k for k in body if re.search(r"do=\{[^{}]*:", lines[k])]
        if cand:
            k = rnd.choice(cand)
            lines[k] = re.sub(r"do=\{([^{}:,]+):([^{}:,]+)", lambda mt: f"do={{{mt[1]}:{mt[2]}, {mt[1]}:{mt[2]}",
                              lines[k], count=1)
    elif kind == "index":
        cand = [k for k in body if re.search(r"\[[a-z_]+\]", lines[k])]
        if cand:
            k = rnd.choice(cand)
            lines[k] = re.sub(r"\[([a-z_]+)\]", rnd.choice(["[5]", "[-1]", "[\\1 + 1]"]), lines[k], count=1)
    return kind, "\n".join(lines), params
