"""Catalogue cases about which file is read and what of it is echoed: ``extends`` outside
the scenario's folder, files that are not scenarios (and hold secrets), and paths that
are not regular files (FIFOs, devices, folders, links)."""

from __future__ import annotations

import os
from pathlib import Path

from catalogue import SMALL_RUN, Case, base

__all__ = ["READING_CASES"]

RUN_OUT = ("--samples", "32", "--seed", "1", "--out", "res")


def _secrets(lines: int = 20) -> str:
    return "".join(f"secret: hunter2-PASSWORD-{i}\n" for i in range(lines))


def _overlay(extends: str, override: str = "sources.fab.wafer_starts: 20k wafer/month") -> str:
    return f"stackbound: 1\nname: ov\nextends: {extends}\noverrides:\n  {override}\n"


SECRET = ("hunter2-PASSWORD",)
OVERLAYS = [
    # item 15: extends stays inside the scenario's folder and the working folder
    Case(
        "overlays/extends_etc_passwd",
        ("check", "ov.yaml"),
        files={"ov.yaml": _overlay("/etc/passwd")},
        mentions=("ov.yaml:3:", "extends"),
        secret=("root:x:0:0",),
    ),
    Case(
        "overlays/extends_etc_passwd_allowed",
        ("check", "ov.yaml", "--allow-outside"),
        files={"ov.yaml": _overlay("/etc/passwd")},
        mentions=("passwd",),
        secret=("root:x:0:0",),
    ),
    Case(
        "overlays/extends_two_folders_up",
        ("check", "sub/ov.yaml"),
        files={"sub/ov.yaml": _overlay("../../x.yaml"), "../x.yaml": base()},
        mentions=("sub/ov.yaml:3:", "extends"),
    ),
    Case(
        "overlays/extends_two_folders_up_allowed",
        ("check", "sub/ov.yaml", "--allow-outside"),
        files={"sub/ov.yaml": _overlay("../../x.yaml"), "../x.yaml": base()},
        exits=frozenset({0}),
    ),
    Case(
        "overlays/extends_absolute_inside",
        ("check", "ov.yaml"),
        files={"ov.yaml": _overlay("{tmp}/work/x.yaml"), "x.yaml": base()},
        exits=frozenset({0}),
    ),
    Case(
        "overlays/extends_sibling",
        ("check", "ov.yaml"),
        files={"ov.yaml": _overlay("x.yaml"), "x.yaml": base()},
        exits=frozenset({0}),
    ),
    Case(
        "overlays/extends_itself",
        ("check", "ov.yaml"),
        files={"ov.yaml": _overlay("ov.yaml")},
        mentions=("ov.yaml:3:", "extends"),
    ),
    Case(
        "overlays/extends_builtin",
        ("check", "ov.yaml"),
        files={"ov.yaml": _overlay("example", "packaging.cowos_like.yield: 85 %")},
        exits=frozenset({0}),
    ),
    # item 15: an error in a file that is not a scenario echoes no more than a short excerpt
    Case(
        "overlays/secret_file_checked",
        ("check", "secrets.yaml"),
        files={"secrets.yaml": _secrets()},
        mentions=("secrets.yaml",),
        secret=SECRET,
    ),
    Case(
        "overlays/secret_file_extended",
        ("check", "ov.yaml"),
        files={"ov.yaml": _overlay("secrets.yaml"), "secrets.yaml": _secrets()},
        mentions=("secrets.yaml",),
        secret=SECRET,
    ),
    Case(
        "overlays/secret_file_syntax_error",
        ("check", "secrets.yaml"),
        files={"secrets.yaml": "password: hunter2-PASSWORD: hunter2-PASSWORD\n" * 3},
        mentions=("secrets.yaml:1:",),
        secret=SECRET,
    ),
    Case(
        "overlays/secret_file_bad_indentation",
        ("check", "secrets.yaml"),
        files={"secrets.yaml": "token: hunter2-PASSWORD\n  api_key: hunter2-PASSWORD\n"},
        mentions=("secrets.yaml:2:",),
        secret=SECRET,
    ),
    Case(
        "overlays/secret_file_outside_allowed",
        ("check", "sub/ov.yaml", "--allow-outside"),
        files={"sub/ov.yaml": _overlay("../../secrets.yaml"), "../secrets.yaml": _secrets()},
        mentions=("secrets.yaml",),
        secret=SECRET,
    ),
    Case(
        "overlays/secret_cases_file",
        ("validate", "example", *SMALL_RUN, "--cases", "secrets.yaml"),
        files={"secrets.yaml": _secrets()},
        mentions=("secrets.yaml",),
        secret=SECRET,
    ),
    Case(
        "overlays/secret_ini_file",
        ("check", "secrets.ini"),
        files={"secrets.ini": "[db]\npassword = hunter2-PASSWORD\n{oops: [\n"},
        mentions=("secrets.ini",),
        secret=SECRET,
    ),
]


def _fifo(work: Path) -> None:
    os.mkfifo(work / "pipe.yaml")


def _folder(work: Path) -> None:
    (work / "folder.yaml").mkdir()


def _links(work: Path) -> None:
    (work / "dangling.yaml").symlink_to(work / "nowhere.yaml")
    (work / "loop_a.yaml").symlink_to(work / "loop_b.yaml")
    (work / "loop_b.yaml").symlink_to(work / "loop_a.yaml")


EXAMPLE_VALIDATE = ("validate", "example", *SMALL_RUN, "--cases")
NOT_FILES = [
    # item 9: a path that is not a regular file is named and refused, never read forever
    Case("notfiles/fifo_check", ("check", "pipe.yaml"), setup=_fifo, mentions=("pipe.yaml",), process=True),
    Case("notfiles/fifo_run", ("run", "pipe.yaml", *RUN_OUT), setup=_fifo, mentions=("pipe.yaml",), process=True),
    Case("notfiles/dev_zero_check", ("check", "/dev/zero"), mentions=("/dev/zero",), process=True),
    Case("notfiles/dev_null_check", ("check", "/dev/null"), mentions=("/dev/null",)),
    Case("notfiles/folder_check", ("check", "folder.yaml"), setup=_folder, mentions=("folder.yaml",)),
    Case("notfiles/folder_show", ("show", "folder.yaml"), setup=_folder, mentions=("folder.yaml",)),
    Case("notfiles/missing_file", ("check", "nope.yaml"), mentions=("nope.yaml",)),
    Case("notfiles/dangling_link", ("check", "dangling.yaml"), setup=_links, mentions=("dangling.yaml",)),
    Case("notfiles/link_loop", ("check", "loop_a.yaml"), setup=_links, mentions=("loop_a.yaml",)),
    Case("notfiles/empty_path", ("check", "")),
    Case("notfiles/nul_in_path", ("check", "a\0b.yaml"), mentions=("b.yaml",)),
    Case(
        "notfiles/binary_file",
        ("check", "x.yaml"),
        files={"x.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))},
        mentions=("x.yaml",),
    ),
    Case("notfiles/fifo_cases", (*EXAMPLE_VALIDATE, "pipe.yaml"), setup=_fifo, mentions=("pipe.yaml",), process=True),
    Case("notfiles/dev_zero_cases", (*EXAMPLE_VALIDATE, "/dev/zero"), mentions=("/dev/zero",), process=True),
    Case("notfiles/folder_cases", (*EXAMPLE_VALIDATE, "folder.yaml"), setup=_folder, mentions=("folder.yaml",)),
    Case("notfiles/missing_cases", (*EXAMPLE_VALIDATE, "nope.yaml"), mentions=("nope.yaml",)),
    Case(
        "notfiles/fifo_extends",
        ("check", "ov.yaml"),
        files={"ov.yaml": _overlay("pipe.yaml")},
        setup=_fifo,
        mentions=("ov.yaml:3:", "extends"),
        process=True,
    ),
    Case(
        "notfiles/folder_extends",
        ("check", "ov.yaml"),
        files={"ov.yaml": _overlay("folder.yaml")},
        setup=_folder,
        mentions=("ov.yaml:3:", "extends"),
    ),
]

READING_CASES = [*OVERLAYS, *NOT_FILES]
