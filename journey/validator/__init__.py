"""Check stage: load every file, run the schema pass then the semantic passes.

All problems in all files are collected and returned together: one bad file
never hides another. The semantic passes run even where the schema pass found
problems (they tolerate any shape), but a problem already reported at the same
place is not reported twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journey.errors import Diagnostic, Location
from journey.loader import Document, load_yaml
from journey.workspace import Workspace, build_workspace, load_workspace_document

TEST_SUFFIXES = (".test.yaml", ".test.yml")


@dataclass(slots=True)
class ValidationResult:
    workspace: Workspace
    documents: list[Document] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    # journey file -> the errors that make it unusable, wherever they are located
    # (a template's problem is located in the template but breaks the journey)
    errors_by_document: dict[str, list[Diagnostic]] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def valid_documents(self) -> list[Document]:
        """Journey documents with no error of their own nor in the templates they send."""
        broken = {d.location.path for d in self.diagnostics if d.is_error}
        broken |= {path for path, errors in self.errors_by_document.items() if errors}
        return [doc for doc in self.documents if doc.path not in broken and doc.data is not None]


def discover_journey_files(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders searched for *.yaml/*.yml, leaving out *.test.yaml."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
            found.extend(
                p for p in candidates if p.is_file() and not p.name.endswith(TEST_SUFFIXES)
            )
        else:
            found.append(path)
    return found


def check_workspace(root: Path) -> tuple[Workspace, list[Diagnostic], Document | None]:
    """Load and check workspace.yaml (if any) and build the Workspace from it."""
    doc = load_workspace_document(root)
    if doc is None:
        return build_workspace(root, {}), [], None
    diagnostics = list(doc.diagnostics)
    if doc.data is not None:
        diagnostics += _checked(doc, "workspace", None)
    data = doc.data if isinstance(doc.data, dict) else {}
    workspace = build_workspace(root, data, config_path=Path(doc.path))
    return workspace, diagnostics, doc


def validate_paths(
    paths: Sequence[Path], workspace: Workspace, *, templates: bool = True
) -> list[Diagnostic]:
    """Validate journey files (folders searched) against an already-built workspace."""
    return validate_files(discover_journey_files(paths), workspace, templates=templates).diagnostics


def validate_files(
    files: Sequence[Path], workspace: Workspace, *, templates: bool = True
) -> ValidationResult:
    result = ValidationResult(workspace=workspace, files=len(files))
    renders = _LazyRenderCheck(workspace)
    for path in files:
        doc = load_yaml(path, root=workspace.root)
        result.documents.append(doc)
        found = validate_document(doc, workspace, templates=templates, renders=renders)
        result.diagnostics += found
        result.errors_by_document[doc.path] = [d for d in found if d.is_error]
    across = _check_across([doc for doc in result.documents if doc.data is not None])
    result.diagnostics += across
    for diagnostic in across:
        if diagnostic.is_error and diagnostic.location.path in result.errors_by_document:
            result.errors_by_document[diagnostic.location.path].append(diagnostic)
    return result


def validate_document(
    doc: Document,
    workspace: Workspace,
    *,
    templates: bool = True,
    renders: _LazyRenderCheck | None = None,
) -> list[Diagnostic]:
    diagnostics = list(doc.diagnostics)
    if doc.data is None:
        return diagnostics
    if not isinstance(doc.data, dict):
        diagnostics.append(
            Diagnostic(
                code="wrong-type",
                message="a journey file must be a mapping of keys such as `id:` and `steps:`",
                location=doc.location(()),
            )
        )
        return diagnostics
    diagnostics += _checked(doc, "journey", workspace)
    if templates and not any(d.is_error for d in diagnostics):
        diagnostics += _check_templates(doc, workspace)
        if not any(d.is_error for d in diagnostics):
            diagnostics += (renders or _LazyRenderCheck(workspace)).check(doc)
    return diagnostics


def _checked(doc: Document, schema: str, workspace: Workspace | None) -> list[Diagnostic]:
    from journey.validator.schema_pass import check_schema
    from journey.validator.yaml_values import normalise_bool_words

    declared = workspace.contact_attributes if workspace else None
    found = normalise_bool_words(doc, schema, declared)
    found += check_schema(doc, schema)
    if schema == "workspace":
        from journey.validator.semantic import check_workspace_doc

        semantic = check_workspace_doc(doc)
    else:
        from journey.validator.semantic import check_semantics

        assert workspace is not None
        semantic = check_semantics(doc, workspace)
    return _merge(found, semantic)


def _merge(first: list[Diagnostic], second: list[Diagnostic]) -> list[Diagnostic]:
    """Schema problems (`first`) and semantic ones (`second`) without saying a thing twice.

    A semantic problem at a place the schema pass already reported is dropped,
    except where the schema only said `invalid-value`: there the semantic
    problems replace it, their code and hint being the specific ones
    (`invalid-duration` with the duration's own message, a did-you-mean for a
    step target). Semantic problems at one place are all kept: one expression
    can misspell an attribute and an event at once.
    """
    semantic_places = {_place(d.location) for d in second}
    schema_places: dict[tuple[str, int, int], set[str]] = {}
    for diagnostic in first:
        schema_places.setdefault(_place(diagnostic.location), set()).add(diagnostic.code)
    replaced = {
        place
        for place, codes in schema_places.items()
        if codes == {"invalid-value"} and place in semantic_places
    }
    merged = [d for d in first if _place(d.location) not in replaced]
    merged += [
        d
        for d in second
        if _place(d.location) in replaced or _place(d.location) not in schema_places
    ]
    return merged


def _place(location: Location) -> tuple[str, int, int]:
    return (location.path, location.line, location.col)


def _check_across(docs: list[Document]) -> list[Diagnostic]:
    from journey.validator.semantic import check_across

    found: list[Diagnostic] = check_across(docs)
    return found


class _LazyRenderCheck:
    """One RenderCheck per validation run, made when the first journey needs it."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.made: Any = None

    def check(self, doc: Document) -> list[Diagnostic]:
        if self.made is None:
            from journey.validator.render_check import RenderCheck

            self.made = RenderCheck(self.workspace)
        found: list[Diagnostic] = self.made.check(doc)
        return found


def _check_templates(doc: Document, workspace: Workspace) -> list[Diagnostic]:
    try:
        from journey.validator.templates_check import check_document_templates
    except ImportError:  # the render stage is optional for a bare checkout
        return []
    from journey.validator.webhook_bodies import check_webhook_bodies

    found: list[Diagnostic] = check_document_templates(doc, workspace)
    return found + check_webhook_bodies(doc, workspace)
