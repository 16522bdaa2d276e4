"""User strings (file, layer and spec names, keys, messages that quote them) made safe for each
output format, in one place.

The loader already refuses control characters in a spec's names and keys; file names, git
revisions and archive keys cannot be refused, so every renderer passes user text through the
function for its format:

* :func:`text`: terminals and logs (control, format and separator characters as escapes, so
  that no ESC sequence reaches a terminal and no newline starts a forged log line);
* :func:`github_data`, :func:`github_property`: GitHub workflow commands (``::error ...::``),
  with ``%``, CR, LF (and ``:`` ``,`` in properties) percent-encoded as GitHub decodes them;
* :func:`markdown`, :func:`markdown_code`: PR comments (no HTML, no Markdown, no @mentions,
  no broken table);
* :func:`csv_cell`: CSV opened in a spreadsheet (a text cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or CR would be read as a formula: it gets a leading ``'``, OWASP's rule);
* :func:`xml`: JUnit XML (ElementTree escapes ``&<>"``; the characters XML 1.0 cannot hold
  at all are written as escapes).

JSON needs nothing more than :mod:`json`, which escapes every control character.
"""

from __future__ import annotations

import re

from convcalc.errors import printable

__all__ = [
    "csv_cell",
    "csv_row",
    "github_data",
    "github_property",
    "markdown",
    "markdown_code",
    "text",
    "xml",
]

text = printable

# what starts emphasis, code, a link or image, a table column, strikethrough, HTML or a mention
# (an underscore inside a word, as in max_params, starts nothing on GitHub)
_MARKDOWN = re.compile(r"[\\`*\[\]|~<&@]")
_ENTITIES = {"<": "&lt;", "&": "&amp;", "@": "&#64;"}  # no < : no HTML tag can open


def markdown(value: str) -> str:
    """``value`` as literal text in Markdown (a table cell or a line): what could start
    emphasis, a link, an image, HTML, a mention or a new table column is escaped."""
    return _MARKDOWN.sub(lambda m: _ENTITIES.get(m[0]) or "\\" + m[0], printable(value))


def markdown_code(value: str) -> str:
    """``value`` as an inline code span that is safe inside a table cell: a fence longer than
    any run of backticks in it, and ``|`` escaped (GitHub reads ``\\|`` in a table as ``|``)."""
    body = printable(value).replace("|", "\\|")
    runs = [len(r) for r in re.findall(r"`+", body)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if body.startswith(("`", " ")) or body.endswith(("`", " ")) or not body else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def xml(value: str) -> str:
    """``value`` for an XML attribute or text: every character XML 1.0 forbids (the C0 controls
    but tab and newlines, lone surrogates, U+FFFE/U+FFFF) and every other control character
    written as an escape."""
    safe = printable(value)
    return "".join(c if c not in "\ufffe\uffff" else f"\\u{ord(c):04x}" for c in safe)


def github_data(value: str) -> str:
    """The message of a workflow command: ``%``, CR and LF encoded, so that nothing in it can
    end the command or start another one."""
    return printable(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(value: str) -> str:
    """A property of a workflow command (``file=``, ``title=``): also ``:`` and ``,``."""
    return github_data(value).replace(":", "%3A").replace(",", "%2C")


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell: text that a spreadsheet would run as a formula gets a leading ``'``; numbers
    (negative ones too) stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + printable(value)
    return printable(value) if isinstance(value, str) else value


def csv_row(values: list[object]) -> list[object]:
    return [csv_cell(v) for v in values]
