"""Limits that hold in every phase of every engine: ``--timeout``, ``--max-memory`` (and the state budget
that engines count themselves).

Engines handle their limits where they can do so gracefully (the explicit search between chunks of
states, Z3 queries with a timeout) and keep what they found. :func:`watch` backs them up everywhere else
(an enumeration, a lemma miner, a formula being built, a Z3 call that ignores its timeout): a watchdog
thread checks the clock and the resident memory ten times a second and, once the deadline plus
:data:`GRACE` has passed or the memory is over the limit, raises :class:`LimitReached`
in the main thread at its next Python instruction (Z3 queries without a timeout of their own get the
run's; a Z3 call still running a second later is cancelled). ``check()`` is the same test for loops to call
themselves. The exception carries the phase the run was in and what it had reached (``progress.STATUS``);
``engines.run`` turns it into an ``inconclusive`` result. The thread also repaints the progress line.

This module must not decide verdicts or print results; outside :func:`watch` nothing here raises.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
import time
import types
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from collapsecheck import progress

GRACE = 0.5  # seconds past the deadline before the watchdog stops a run the engine did not stop itself
Z3_PATIENCE = 1.0  # seconds after that before a Z3 call that ignores its timeout is cancelled
TICK = 0.1
_SIGNAL = signal.SIGUSR2  # delivered with _thread.interrupt_main: no real signal is ever sent


class LimitReached(BaseException):
    """A limit stopped the run. A BaseException so that no ``except Exception`` in an engine swallows it."""

    def __init__(self, kind: str, limit: str, phase: str, reached: str, scope: object = None) -> None:
        super().__init__(f"{kind} limit ({limit}) reached in phase {phase or 'start'}; reached: {reached}")
        self.kind, self.limit, self.phase, self.reached = kind, limit, phase or "start", reached
        self.scope = scope  # the token of the nested :func:`scope` whose time ran out; None: the whole run


def rss_bytes() -> int:
    """Resident set size of this process (0 where /proc is not available)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@dataclass
class Watch:
    timeout: float
    deadline: float
    max_memory: int | None  # bytes
    hit: tuple[str, str, object] | None = None  # (kind, limit, scope) once the watchdog saw a limit passed
    active: bool = True
    fired: float = 0.0
    scopes: list[tuple[float, object, str]] = field(default_factory=list)  # nested (deadline, token, what)
    stopped: tuple[str, str, object] | None = None  # the last limit the watchdog enforced (kept)
    first_fired: float = 0.0
    raised: list[object] = field(default_factory=list)  # tokens of the scopes already stopped (once each)

    def over(self, grace: float = 0.0, skip: "list[object] | None" = None) -> tuple[str, str, object] | None:
        """The limit passed, if any (``skip``: tokens of scopes already stopped, not asked twice)."""
        now = time.monotonic()
        if now > self.deadline + grace:
            return "time", f"--timeout {self.timeout:g} s", None
        if self.max_memory is not None:
            rss = rss_bytes()
            if rss > self.max_memory:
                return "memory", (f"--max-memory {self.max_memory // 2**20:,} MB; resident memory "
                                  f"{rss / 2**20:,.0f} MB"), None
        for d, token, what in list(self.scopes):
            if now > d + grace and not any(token is t for t in skip or ()):
                return "time", f"the time share of {what}", token
        return None

    def exception(self, kind: str, limit: str, scope: object) -> LimitReached:
        return LimitReached(kind, limit, progress.STATUS.phase, progress.STATUS.reached(), scope)

    def live(self, scope: object) -> bool:
        return scope is None or any(token is scope for _, token, _ in self.scopes)


_ACTIVE: Watch | None = None
_installed = False


def _handler(signum: int, frame: types.FrameType | None) -> None:
    w = _ACTIVE
    if w is None or not w.active or w.hit is None or not w.live(w.hit[2]):
        return
    f, depth = frame, 0
    while f is not None and depth < 8:  # an exception raised in a destructor is printed and lost: not there
        if f.f_code.co_name in ("__del__", "__exit__", "unraisable"):
            _thread.interrupt_main(_SIGNAL)  # ask again at the next instruction
            return
        f, depth = f.f_back, depth + 1
    hit, w.hit = w.hit, None
    if hit[2] is not None:
        w.raised.append(hit[2])
    raise w.exception(*hit)


def _install() -> bool:
    """Our handler for the (simulated) signal, once per process; never replaces someone else's."""
    global _installed
    if _installed:
        return True
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(_SIGNAL) not in (signal.SIG_DFL, None):
        return False
    signal.signal(_SIGNAL, _handler)
    _installed = True
    return True


def _interrupt_z3() -> None:
    z3 = sys.modules.get("z3")
    if z3 is not None:
        try:
            z3.main_ctx().interrupt()
        except Exception:  # noqa: BLE001 - an interrupt that fails leaves Z3 to its own timeout
            pass


def _z3_default_timeout(seconds: float | None) -> None:
    """Z3 queries that set no timeout of their own get the run's (None: unlimited again)."""
    z3 = sys.modules.get("z3")
    if z3 is not None:
        z3.set_param("timeout", 4294967295 if seconds is None else max(1, int(seconds * 1000)))


def check() -> None:
    """For loops that can run long: raise :class:`LimitReached` if a limit of the current run is passed."""
    w = _ACTIVE
    if w is not None and w.active:
        hit = w.over()
        if hit is not None:
            raise w.exception(*hit)


def deadline(default: float = float("inf")) -> float:
    """The current run's deadline (``time.monotonic()`` seconds), or ``default`` outside a run."""
    w = _ACTIVE
    return w.deadline if w is not None and w.active else default


@contextmanager
def scope(until: float, what: str) -> Iterator[object]:
    """A nested time limit inside a run (a portfolio member's share of the time): past ``until`` the body
    gets :class:`LimitReached` with ``scope`` = the token yielded here, for the caller to catch. Outside a
    run it yields None and limits nothing."""
    w = _ACTIVE
    if w is None or not w.active:
        yield None
        return
    token = object()
    entry = (until, token, what)
    w.scopes.append(entry)
    try:
        yield token
    finally:
        w.scopes.remove(entry)


@contextmanager
def watch(timeout: float, max_memory_mb: int | None, engine: str, show_progress: bool) -> Iterator[Watch]:
    """Run the body under the limits, with the progress line painted on a terminal."""
    global _ACTIVE
    progress.start(engine)
    w = Watch(timeout, time.monotonic() + timeout, max_memory_mb * 2**20 if max_memory_mb else None)
    display = progress.Display(show_progress)
    can_raise = _install()
    stop = threading.Event()

    def dog() -> None:
        last_paint = 0.0
        while not stop.wait(TICK):
            now = time.monotonic()
            if display.enabled and now - last_paint >= 0.5:
                display.paint()
                last_paint = now
            hit = w.over(GRACE, w.raised) if w.active else None
            if hit is None:
                continue
            if hit[2] is None:  # the whole run: again each second if its exception was swallowed
                if now - w.fired < 1.0:
                    continue
                if w.first_fired and now - w.first_fired >= Z3_PATIENCE:
                    # Still running: the main thread is inside one long C call, which Python cannot
                    # interrupt. Cancel Z3 (a cancel can leak into the next query of this process, which
                    # is why it is the last resort and not the first).
                    _interrupt_z3()
                w.fired, w.first_fired = now, w.first_fired or now
            w.hit = w.stopped = hit  # a scope is stopped once (``raised``), asked for until it is
            if can_raise:
                _thread.interrupt_main(_SIGNAL)

    old_hook = sys.unraisablehook

    def unraisable(args: "sys.UnraisableHookArgs") -> None:
        # Raised where Python cannot propagate it (a destructor): not lost, asked for again at once.
        if isinstance(args.exc_value, LimitReached) and w.active:
            scope = args.exc_value.scope
            w.raised[:] = [t for t in w.raised if t is not scope]
            if scope is None:
                w.fired = 0.0  # the watchdog asks again at its next tick
            return
        old_hook(args)

    prev, _ACTIVE = _ACTIVE, w
    sys.unraisablehook = unraisable
    _z3_default_timeout(timeout)
    thread = threading.Thread(target=dog, name="collapsecheck-limits", daemon=True)
    thread.start()
    try:
        yield w
    finally:
        w.active = False
        stop.set()
        thread.join()
        display.clear()
        sys.unraisablehook = old_hook
        _z3_default_timeout(None)
        _ACTIVE = prev


__all__ = ["LimitReached", "watch", "scope", "check", "deadline", "rss_bytes", "GRACE"]
