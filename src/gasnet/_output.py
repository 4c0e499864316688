"""Text that gasnet hands to people: terminal lines and CSV cells, made safe.

Names and ids come from the utility's data and may hold anything. On a terminal, control
characters (ESC sequences that recolour or retitle it, ``\\r`` that overwrites a line, other
C0 / C1 controls) are stripped; in a CSV opened in Excel, a cell starting with ``=``, ``+``,
``-`` or ``@`` would run as a formula, so it gets a leading ``'`` (OWASP, "CSV Injection").
The data itself (GeoPackage, quality_issues) keeps every value as given.
"""

from __future__ import annotations

import io
import re

import pandas as pd

__all__ = ["CleanStream", "clean_text", "clean_value", "csv_safe"]

# ESC sequences first (CSI "ESC [ ... final", OSC "ESC ] ... BEL / ESC \\", two-character
# ones), and their 8-bit C1 forms, so that no "[31m" debris is left behind.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"  # OSC (title, hyperlink)
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c\n]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"  # any other ESC sequence (or a lone ESC)
)
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # C0 but \n, DEL, C1
_VALUE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # a value keeps no line break either

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


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot run as spreadsheet formulas.

    Every text cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
    leading ``'`` (Excel then shows it as text). Numbers are not text: a negative longitude
    stays a number.
    """
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
