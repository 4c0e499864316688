"""Text that gasnet hands to people: terminal lines and CSV cells, made safe.

Names and ids come from the utility's data and may hold anything. On a terminal, control
characters (ESC sequences that recolour or retitle it, ``\\r`` that overwrites a line, other
C0 / C1 controls, and the Unicode bidi controls that reorder what is shown, "Trojan Source")
are stripped; in a CSV opened in Excel, a cell starting with ``=``, ``+``,
``-`` or ``@`` would run as a formula, so it gets a leading ``'`` (OWASP, "CSV Injection").
The data itself (GeoPackage, quality_issues) keeps every value as given.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CleanStream", "clean_text", "clean_value", "csv_safe", "shown_list"]

# ESC sequences first (CSI "ESC [ ... final", OSC "ESC ] ... BEL / ESC \\", two-character
# ones), and their 8-bit C1 forms, so that no "[31m" debris is left behind.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"  # OSC (title, hyperlink)
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c\n]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"  # any other ESC sequence (or a lone ESC)
)
#: Unicode bidi controls: embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069),
#: the left-to-right / right-to-left / Arabic letter marks. They make text display in another
#: order than it is ("C2" shown as "2C"; CVE-2021-42574), so a terminal line could lie.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f{_BIDI}]")  # C0 but newline, DEL, C1
_VALUE_CONTROLS = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}]")  # no line break either

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(text: str) -> str:
    """``text`` without ESC sequences or control characters; newlines (our lines) are kept."""
    text = _ESCAPES.sub("", text)
    return _CONTROLS.sub(lambda m: " " if m.group() == "\t" else "", text)


def clean_value(value) -> str:
    """A name or id for one line of terminal text: no control characters, no line breaks."""
    text = _ESCAPES.sub("", str(value))
    return _VALUE_CONTROLS.sub(lambda m: " " if m.group() in "\t\n\r" else "", text)


def shown_list(items, limit: int = 8, sep: str = ", ") -> str:
    """Items for one message line: each cleaned (:func:`clean_value`), at most ``limit`` of
    them, then "and N more" -- 8000 unknown ids make a readable line, not an 80 kB one."""
    items = list(items)
    shown = sep.join(clean_value(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(df: pd.DataFrame) -> bytes:
    """Every CSV gasnet writes: UTF-8 with a byte-order mark (Excel reads it as UTF-8), no
    index, text cells that would run as formulas neutralised (:func:`csv_safe`)."""
    return csv_safe(df).to_csv(index=False).encode("utf-8-sig")


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot run as spreadsheet formulas.

    Every text cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
    leading ``'`` (Excel then shows it as text). Numbers are not text: a negative longitude
    stays a number.
    """
    import pandas as pd  # here: the CLI imports this module before any heavy library

    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = pd.Series([_cell(v) for v in out[col]], index=out.index, dtype=object)
    return out


class CleanStream(io.TextIOBase):
    """A text stream that strips ESC sequences and control characters from what is written.

    The CLI wraps stdout and stderr in it, so nothing from the data can drive the terminal.
    """

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(clean_text(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self):
        return getattr(self._stream, "encoding", "utf-8")

    @property
    def errors(self):
        return getattr(self._stream, "errors", "strict")
