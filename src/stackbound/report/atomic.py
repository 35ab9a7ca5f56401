"""Replace an output directory all at once, and never one that is not ours.

A writer fills ``new/`` inside a work directory beside the target,
``.<target>.stackbound-<pid>-<token>/``, which holds a marker file (:data:`MARKER`,
the host's name) from the moment it exists. When the writer
is done, ``new/`` and the target trade places in one ``renameat2(RENAME_EXCHANGE)``
(Linux); elsewhere the old target is first moved to ``old/`` in the work directory and
the new one renamed into place. Then the work directory is removed. So at every point
where the process may be killed the target holds the complete old or the complete new
results, or (fallback only, between the two renames) the old ones wait in ``old/``,
whence the next command on the same target puts them back before anything else:
:func:`recover` removes every work directory of a dead stackbound process of this host
(and puts back results that an older version, killed between its renames, hid).

Only a provable stackbound output is replaced (:func:`check_output_target`): a folder
whose ``manifest.json`` names stackbound and lists every file in it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stackbound.errors import OutputError
from stackbound.report.jsondoc import json_text

__all__ = [
    "MANIFEST",
    "NO_EXCHANGE",
    "PAUSE_AT",
    "PAUSE_FILE",
    "atomic_directory",
    "check_output_target",
    "inside",
    "listed_files",
    "recover",
    "write_file_atomically",
    "write_manifest",
    "write_text_atomically",
    "written_files",
]

MANIFEST = "manifest.json"
MARKER = "STACKBOUND-STAGING"
"""The file, holding the host's name, written first into every work directory."""
PAUSE_AT = "STACKBOUND_TEST_PAUSE_AT"
PAUSE_FILE = "STACKBOUND_TEST_PAUSE_FILE"
NO_EXCHANGE = "STACKBOUND_TEST_NO_EXCHANGE"
"""Test-only: when set, use the two-rename fallback even where ``renameat2`` exists."""
RENAME_EXCHANGE = 2
AT_FDCWD = -100


def pause_point(point: str) -> None:
    """Test-only kill point: when ``STACKBOUND_TEST_PAUSE_AT`` names ``point``, write the
    point's name to the file ``STACKBOUND_TEST_PAUSE_FILE`` names and sleep until killed.

    The kill-point tests (``tests/test_kill_points.py``) use it to signal a real process at
    an exact place instead of guessing with timing; nothing else sets these variables.
    Points: ``staging-written``, ``after-exchange``, ``between-renames`` (fallback only).
    """
    if os.environ.get(PAUSE_AT) != point:
        return
    Path(os.environ[PAUSE_FILE]).write_text(point, encoding="utf-8")
    while True:
        time.sleep(60)


# ------------------------------------------------------------------ what is ours


def listed_files(manifest: Any) -> set[str] | None:
    """The files a stackbound manifest says its folder holds (besides itself), or None
    when ``manifest`` is not one (older stackbound: a report's or a single run's outputs)."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("stackbound"), str):
        return None
    listed = manifest.get("files")
    if listed is None:
        listed = manifest.get("outputs")
    if listed is None and isinstance(manifest.get("runs"), list) and len(manifest["runs"]) == 1:
        listed = manifest["runs"][0].get("outputs") if isinstance(manifest["runs"][0], dict) else None
    if not isinstance(listed, list) or not all(isinstance(f, str) for f in listed):
        return None
    return set(listed)


def written_files(folder: Path) -> list[str]:
    """Every file under ``folder`` (but the manifest) as a relative POSIX path, sorted.

    Raises :class:`OutputError` for anything but plain files and folders (a symbolic
    link could point outside) and for a path that does not resolve inside ``folder``.
    """
    root = folder.resolve()
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            raise OutputError(f"{path} is not a plain file or folder")
        if not path.resolve().is_relative_to(root):
            raise OutputError(f"{path} lies outside {root}")
        if path.is_file():
            found.append(path.relative_to(root).as_posix())
    return [f for f in found if f != MANIFEST]


def inside(root: Path, relative: str) -> Path:
    """``root / relative``, or :class:`OutputError` if that would lie outside ``root``."""
    path, base = root / relative, root.resolve()
    if path.resolve() == base or not path.resolve().is_relative_to(base):
        raise OutputError(f"refusing to write {relative!r}: it would lie outside {root}")
    return path


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` into ``folder`` with ``files``: every other file in it."""
    document = {**manifest, "files": written_files(folder)}
    (folder / MANIFEST).write_text(json_text(document), encoding="utf-8")


def _is_our_output(target: Path) -> bool:
    try:
        listed = listed_files(json.loads((target / MANIFEST).read_text(encoding="utf-8")))
        present = written_files(target)
    except (OSError, ValueError, OutputError):
        return False
    return listed is not None and set(present) <= listed


def check_output_target(target: Path) -> Path:
    """``target`` resolved, if a run may write there: absent, an empty folder, or a
    stackbound output (its manifest names stackbound and lists every file it holds).
    Else :class:`OutputError`. Stale work directories of ``target`` are recovered first.
    Commands call it before simulating, so a wrong ``--out`` costs no time.
    """
    target = target.resolve()
    _check_parent(target)
    recover(target)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target} exists and is not a stackbound output; choose another --out")
    if target.is_dir() and any(target.iterdir()) and not _is_our_output(target):
        raise OutputError(
            f"{target} exists and is not a stackbound output (its manifest.json must name stackbound "
            "and list every file in it); choose another --out"
        )
    return target


def _check_parent(target: Path) -> None:
    """OutputError unless the nearest existing folder above ``target`` is a folder we may
    write in (``--out res/sub`` where ``res`` is a file fails here, before any work)."""
    ancestor = target.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"cannot write {target}: {ancestor} is a file, not a folder; choose another --out")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {target}: {ancestor} is not writable; choose another --out")


# ------------------------------------------------------------------ stale work directories


def _work_pattern(target: Path) -> re.Pattern[str]:
    return re.compile(re.escape(f".{target.name}.stackbound-") + r"(\d+)-[0-9a-f]+")


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate it: never claim a Windows process is dead
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(work: Path, pid: int) -> bool:
    """A work directory of a dead process of this host (or an empty one of a dead pid)."""
    if pid == os.getpid() or _alive(pid):
        return False
    try:
        host = (work / MARKER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return not any(work.iterdir())
    except (OSError, UnicodeDecodeError):
        return False
    return host in ("", socket.gethostname())


def _restore(work: Path, target: Path) -> None:
    """Put the old results back where the fallback's first rename took them from."""
    if (work / "old").is_dir() and not target.exists():
        (work / "old").rename(target)


def _discard(work: Path) -> None:
    """Remove a work directory, its marker last: a kill midway leaves it still provable."""
    for child in work.iterdir():
        if child.name == MARKER:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    shutil.rmtree(work)


def _restore_legacy(target: Path, siblings: list[Path]) -> None:
    """Earlier versions, killed between their two renames, left ``target`` missing and the
    old results in ``.<target>.old-<pid>``: put them back if that pid is dead and they are ours."""
    pattern = re.compile(re.escape(f".{target.name}.old-") + r"(\d+)")
    for old in siblings:
        found = pattern.fullmatch(old.name)
        if found is None or target.exists() or old.is_symlink() or _alive(int(found.group(1))):
            continue
        if _is_our_output(old):
            old.rename(target)


def recover(target: Path) -> None:
    """Restore and remove the work directories of ``target`` left by killed processes."""
    target = target.resolve()
    pattern = _work_pattern(target)
    try:
        siblings = list(target.parent.iterdir()) if target.parent.is_dir() else []
        for work in siblings:
            found = pattern.fullmatch(work.name)
            if found and not work.is_symlink() and work.is_dir() and _stale(work, int(found.group(1))):
                _restore(work, target)
                _discard(work)
        _restore_legacy(target, siblings)
    except OSError as error:
        raise OutputError(f"cannot clean up after an earlier run in {target.parent}: {error}") from None


# ------------------------------------------------------------------ the exchange


def _renameat2() -> Any:
    """libc's ``renameat2`` (glibc 2.28 and later), or None."""
    if os.environ.get(NO_EXCHANGE) or os.name == "nt":
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _exchange(new: Path, target: Path) -> bool:
    """Swap ``new`` and ``target`` atomically; False where the system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    done = renameat2(AT_FDCWD, os.fsencode(new), AT_FDCWD, os.fsencode(target), RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(target))


def _put_in_place(work: Path, target: Path) -> None:
    new = work / "new"
    if not target.exists():
        new.rename(target)
    elif _exchange(new, target):
        pause_point("after-exchange")
    else:
        target.rename(work / "old")
        pause_point("between-renames")
        new.rename(target)
        pause_point("after-exchange")


def _make_work(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".{target.name}.stackbound-{os.getpid()}-{secrets.token_hex(4)}"
    work.mkdir()
    (work / MARKER).write_text(socket.gethostname(), encoding="utf-8")
    (work / "new").mkdir()
    return work


def _remove(work: Path, target: Path) -> None:
    try:
        _restore(work, target)
    finally:
        try:
            _discard(work)
        except OSError:
            shutil.rmtree(work, ignore_errors=True)


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield an empty folder that replaces ``target`` whole when the block succeeds.

    ``target`` must pass :func:`check_output_target`, before and again at the exchange.
    On any exception (``KeyboardInterrupt`` included) ``target`` is left as it was.
    """
    target = check_output_target(target)
    try:
        work = _make_work(target)
    except OSError as error:
        raise OutputError(f"cannot write to {target.parent}: {error}") from None
    try:
        yield work / "new"
        pause_point("staging-written")
        check_output_target(target)
        _put_in_place(work, target)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error}") from None
    finally:
        _remove(work, target)


def write_text_atomically(target: Path, text: str) -> None:
    """Write a file through a temporary sibling and a rename."""
    write_file_atomically(target, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def write_file_atomically(target: Path, write: Callable[[Path], object], suffix: str = ".tmp") -> None:
    """Have ``write`` write a temporary sibling of ``target`` (made as any file is, under the
    user's umask), then rename it into place; OutputError if either fails."""
    temporary = target.parent / f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}{suffix}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write(temporary)
        os.replace(temporary, target)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error}") from None
    finally:
        with contextlib.suppress(OSError):  # nothing to remove where the folder could not be made
            temporary.unlink(missing_ok=True)
