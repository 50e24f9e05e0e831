"""The Jinja loader for workspace templates: every file through journey.workspace_files.

Jinja's FileSystemLoader follows symbolic links; this one refuses a template,
layout or include that is a link, sits in a linked folder, or is named with
`..` or an absolute path (OutsideWorkspace, not TemplateNotFound, so that
`ignore missing` or an optional part never hides it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jinja2 import BaseLoader, Environment, TemplateNotFound

from journey.workspace_files import (
    OutsideWorkspace,
    parts_under,
    read_parts,
    stat_parts,
    template_parts,
    walk_files,
)

TEMPLATE_SUFFIXES = (".txt", ".html", ".htm")


class WorkspaceLoader(BaseLoader):
    """Templates under `root/<templates_dir>`; `root` defaults to the folder's parent."""

    def __init__(self, templates_dir: Path, root: Path | None = None) -> None:
        self.root = (Path(root) if root is not None else Path(templates_dir).parent).absolute()
        self.folder = parts_under(self.root, Path(templates_dir).absolute())

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        parts = template_parts(self.folder, template)
        try:
            file = read_parts(self.root, parts)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise TemplateNotFound(template) from None
        source = file.data.decode("utf-8")

        def uptodate() -> bool:
            try:
                info = stat_parts(self.root, parts)
            except OutsideWorkspace:
                return False
            return info is not None and info.st_mtime_ns == file.mtime_ns

        return source, str(self.root.joinpath(*parts)), uptodate

    def list_templates(self) -> list[str]:
        depth = len(self.folder)
        return sorted(
            "/".join(parts[depth:])
            for parts in walk_files(self.root, "/".join(self.folder))
            if parts[-1].endswith(TEMPLATE_SUFFIXES)
        )
