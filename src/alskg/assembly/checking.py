"""Validate a build's sources on the second core while the build goes on with reasoning.

Validation (SHACL and the Python rules, about 2 s on the ALS graph) and reasoning plus
serialisation (about as long) need only the parsed sources, so a build forks a child that
validates them while the parent reasons; `assemble` waits for the child's verdict before it
returns, so nothing is written, let alone published, from sources that fail. The child is a
fork: it shares the parsed graphs copy-on-write, where a process pool would pickle them (longer
than the validation itself). A fork is only safe from a process with no other Python thread (a
thread holding a lock at the fork would leave it held in the child, an import lock included, so
the child imports pyshacl itself, off the parent's path); from such a process, or where fork is
missing, validation runs in the caller, as before.

Hand-written on `multiprocessing`'s fork context because `concurrent.futures` pickles the
arguments of every call.
"""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AlskgError

if TYPE_CHECKING:
    from ..curation.sources import Sources
    from ..curation.validate import Problem


class ValidationCrashed(AlskgError):
    """The validating child process ended without a verdict (killed, or out of memory)."""

    exit_code = 2


def can_fork() -> bool:
    """True where a fork is available and safe: this process runs one Python thread."""
    return ("fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


class Validation:
    """A validation of the sources, started at once, beside the caller when it can fork."""

    def __init__(self, sources: Sources, cache_dir: Path | None,
                 fork: bool | None = None) -> None:
        """Start validating `sources` (registry answers cached in `cache_dir`): in a forked
        child when `fork` is True, in the caller when False, by `can_fork()` when None."""
        from ..curation.validate import validate_sources

        self._problems: list[Problem] | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._receiver: Connection | None = None
        if not (can_fork() if fork is None else fork):
            self._problems = validate_sources(sources, cache_dir=cache_dir)
            return
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_validate_in_child,
                                        args=(sources, cache_dir, sender),
                                        name="alskg-validate", daemon=True)
        self._process.start()
        sender.close()

    def problems(self) -> list[Problem]:
        """Wait for the verdict; return the problems found (re-raise the child's error)."""
        if self._problems is not None:
            return self._problems
        assert self._process is not None and self._receiver is not None
        try:
            kind, value = self._receiver.recv()
        except EOFError:
            self._process.join()
            raise ValidationCrashed(
                f"validation stopped without a verdict (its process ended with exit code "
                f"{self._process.exitcode}); nothing was built") from None
        finally:
            self._receiver.close()
        self._process.join()
        if kind == "error":
            raise value
        self._problems = value
        return value


    def cancel(self) -> None:
        """Stop a validation still running (the build failed for another reason)."""
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join()
        if self._receiver is not None:
            self._receiver.close()


def _validate_in_child(sources: Sources, cache_dir: Path | None, sender: Connection) -> None:
    """The child's work: validate and send ("problems", list) or ("error", exception)."""
    from ..curation.validate import validate_sources

    try:
        sender.send(("problems", validate_sources(sources, cache_dir=cache_dir)))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        try:
            pickle.loads(pickle.dumps(exc))
            sender.send(("error", exc))
        except Exception:  # noqa: BLE001 - an exception that does not pickle: its message
            sender.send(("error", AlskgError(f"validation failed: {type(exc).__name__}: {exc}")))
    finally:
        sender.close()
