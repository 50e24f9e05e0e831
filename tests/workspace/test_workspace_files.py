"""journey.workspace_files: nothing is read through a symbolic link or outside the root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey.workspace_files import (
    OutsideWorkspace,
    parts_under,
    read_file,
    template_parts,
    walk_files,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "outside.txt").write_text("secret")
    ws = tmp_path / "ws"
    (ws / "templates" / "real").mkdir(parents=True)
    (ws / "templates" / "real" / "body.txt").write_text("hello")
    return ws


def test_a_plain_file_inside_the_workspace_is_read(root: Path) -> None:
    assert read_file(root, root / "templates/real/body.txt").data == b"hello"


def test_a_file_that_is_a_link_is_refused_even_when_it_points_inside(root: Path) -> None:
    os.symlink(root / "templates/real/body.txt", root / "templates/real/alias.txt")
    with pytest.raises(OutsideWorkspace, match=r"templates/real/alias\.txt is a symbolic link"):
        read_file(root, root / "templates/real/alias.txt")


def test_a_folder_on_the_way_that_is_a_link_is_refused(root: Path) -> None:
    os.symlink(root / "templates" / "real", root / "templates" / "linked")
    with pytest.raises(OutsideWorkspace, match="templates/linked is a symbolic link"):
        read_file(root, root / "templates/linked/body.txt")


def test_dot_dot_and_absolute_paths_elsewhere_are_refused(root: Path) -> None:
    with pytest.raises(OutsideWorkspace, match="climbs out"):
        read_file(root, root / "templates" / ".." / ".." / "outside.txt")
    with pytest.raises(OutsideWorkspace, match="outside the workspace"):
        read_file(root, root.parent / "outside.txt")
    with pytest.raises(OutsideWorkspace, match="absolute"):
        template_parts(("templates",), "/etc/passwd")


def test_a_fifo_is_refused_without_blocking(root: Path) -> None:
    os.mkfifo(root / "templates" / "real" / "pipe.txt")
    with pytest.raises(OutsideWorkspace, match="not a regular file"):
        read_file(root, root / "templates/real/pipe.txt")


def test_listing_skips_links(root: Path) -> None:
    os.symlink(root.parent / "outside.txt", root / "templates" / "real" / "leak.txt")
    os.symlink(root.parent, root / "templates" / "up")
    assert list(walk_files(root, "templates")) == [("templates", "real", "body.txt")]


_PART = st.sampled_from(["..", ".", "", "real", "body.txt", "link", "dir", "/", "\\", "a..b"])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(_PART, min_size=1, max_size=6))
def test_no_generated_name_reads_anything_but_the_one_real_file(
    root: Path, pieces: list[str]
) -> None:
    if not (root / "templates" / "link").exists():
        os.symlink(root.parent, root / "templates" / "link")
        os.symlink(root.parent / "outside.txt", root / "templates" / "real" / "link")
        (root / "templates" / "dir").mkdir()
    name = "/".join(pieces)
    try:
        data = read_file(root, root.joinpath(*template_parts(("templates",), name))).data
    except (OutsideWorkspace, FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return
    assert data == b"hello"
    assert parts_under(root, root.joinpath(*template_parts(("templates",), name)))[-1] == "body.txt"
