"""No template, layout, include or catalog crashes `journey validate`.

A workspace is written to a fresh folder for every example: a journey that sends
one email, its three template parts, a layout they may extend or include, and a
Swedish catalog, each drawn from a generator of Jinja-shaped or byte-level nonsense.
`journey validate` must exit 0 or 1 (never 2, never a traceback) and every problem
must be a Diagnostic pointing at a file and line. The journey file itself is mutated too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey.cli.main import cli
from journey.errors import Diagnostic
from journey.validator import check_workspace, discover_journey_files, validate_files

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORKSPACE = """\
default_locale: en
channels:
  email: { kind: outbox, message: email }
contact_attributes:
  first_name: string
"""
JOURNEY = """\
id: fuzzed
name: Fuzzed
kind: onboarding
locales: [en, sv]
trigger: { event: signed_up }
steps:
  - id: hello
    send: { channel: email, template: t/hello }
"""
PO_HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset={charset}\\n"\n'
    '"Plural-Forms: nplurals={nplurals}; plural={plural};\\n"\n\n'
)

TEMPLATE_TOKENS = [
    "{{", "}}", "{%", "%}", "{#", "#}", " | ", " is ", "(", ")", "[", "]", ",", ".", "'", '"',
    " contact.first_name ", " contact.frist_name ", " coupon ", " 3 ", " 1e400 ", " n ",
    "format_money", "format_number", "format_currency('SEK')", "upper", "odd", "oddd", "vip",
    "defined", "if ", "endif", "else", "for x in [1, 2]", "endfor", "block content", "endblock",
    "block content", 'extends "layouts/base.html"', 'include "layouts/base.html"',
    'include "layouts/missing.html"', 'import "layouts/base.html" as m', "macro m()", "endmacro",
    "trans", "endtrans", "pluralize", "_('Hello')", "ngettext('a', 'b', 2)", "set x = 1",
    "filter upper", "endfilter", "raw", "endraw", "\n", " ", "\x00", "\ud800", "é", "漢",
    "loop.index", "super()", "caller()", "call m()", "endcall", "with", "endwith",
]  # fmt: skip
PLURAL_TOKENS = [
    "n", "1", "0", "2", "10", "100", "!=", "==", ">", "<", ">=", "%", "/", "*", "+", "-", "?",
    ":", "(", ")", "&&", "||", "!", "__import__('os')", "os.system", "lambda", ";", "n**n", " ",
]  # fmt: skip

template_text = st.lists(st.sampled_from(TEMPLATE_TOKENS), max_size=25).map("".join)
template_file = (
    template_text.map(lambda text: text.encode("utf-8", "surrogatepass"))
    | st.binary(max_size=200)
    | st.just(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
)
plural_header = st.builds(
    lambda charset, nplurals, plural: PO_HEADER.format(
        charset=charset, nplurals=nplurals, plural=plural
    ),
    st.sampled_from(["utf-8", "UTF-8", "latin-1", "utf-16", "foobar", "", "ascii"]),
    st.sampled_from(["2", "1", "3", "0", "-1", "x", "99999999999999999999", ""]),
    st.lists(st.sampled_from(PLURAL_TOKENS), max_size=12).map("".join),
)
po_entries = st.lists(
    st.sampled_from(
        [
            'msgid "Hello"\nmsgstr "Hej"\n',
            'msgid "a"\nmsgid_plural "b"\nmsgstr[0] "x"\nmsgstr[1] "y"\n',
            'msgid "a"\nmsgid_plural "b"\nmsgstr[7] "x"\n',
            'msgid "a"\nmsgstr[x] "y"\n',
            "#, fuzzy\n",
            'msgctxt "c"\n',
            'msgid "unterminated\n',
            "msgstr\n",
            '"continued"\n',
            "garbage line\n",
        ]
    ),
    max_size=6,
).map("\n".join)
po_file = (
    st.builds(lambda header, body: (header + body).encode("utf-8"), plural_header, po_entries)
    | st.builds(lambda header, junk: header.encode() + junk, plural_header, st.binary(max_size=60))
    | st.binary(max_size=200)
)
journey_file = st.builds(
    lambda cut, junk: JOURNEY.encode()[:cut] + junk,
    st.integers(min_value=0, max_value=len(JOURNEY)),
    st.binary(max_size=20) | st.sampled_from([b"", b"\n  - id: x\n    wait: 1d\n", b"\xff\xfe"]),
) | st.just(JOURNEY.encode())


def _write(
    root: Path,
    parts: tuple[bytes, bytes, bytes],
    layout: bytes,
    catalog: bytes | None,
    journey: bytes,
) -> None:
    (root / "workspace.yaml").write_text(WORKSPACE)
    (root / "journeys").mkdir()
    (root / "journeys" / "fuzzed.yaml").write_bytes(journey)
    folder = root / "templates" / "t" / "hello"
    folder.mkdir(parents=True)
    for name, content in zip(("subject.txt", "body.txt", "body.html"), parts, strict=True):
        (folder / name).write_bytes(content)
    (root / "templates" / "layouts").mkdir()
    (root / "templates" / "layouts" / "base.html").write_bytes(layout)
    if catalog is not None:  # None: no locales folder at all
        (root / "locales" / "sv" / "LC_MESSAGES").mkdir(parents=True)
        (root / "locales" / "sv" / "LC_MESSAGES" / "messages.po").write_bytes(catalog)


def _assert_located(diagnostics: list[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        assert isinstance(diagnostic, Diagnostic)
        assert diagnostic.location.path, diagnostic
        assert diagnostic.location.line >= 1, diagnostic
        assert diagnostic.code != "internal-error", diagnostic


@FAST
@given(
    parts=st.tuples(template_file, template_file, template_file),
    layout=template_file,
    catalog=st.none() | po_file,
    journey=journey_file,
)
def test_validate_never_fails_internally_on_any_template_or_catalog(
    parts: tuple[bytes, bytes, bytes], layout: bytes, catalog: bytes | None, journey: bytes
) -> None:
    with tempfile.TemporaryDirectory(prefix="journey-templates-fuzz-") as scratch:
        root = Path(scratch)
        _write(root, parts, layout, catalog, journey)
        workspace, problems, _ = check_workspace(root)
        assert problems == []
        result = validate_files(discover_journey_files([root / "journeys"]), workspace)
        _assert_located(result.diagnostics)
        outcome = CliRunner().invoke(cli, ["--workspace", str(root), "validate"])
        assert outcome.exception is None or isinstance(outcome.exception, SystemExit), (
            outcome.output
        )
        assert outcome.exit_code in (0, 1), outcome.output
        assert "internal error" not in outcome.output
        assert (outcome.exit_code == 1) == any(d.is_error for d in result.diagnostics)
