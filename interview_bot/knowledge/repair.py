"""Text repair applied to every bank file before parsing.

Three kinds of damage occur in real banks:

* mojibake: UTF-8 bytes that were decoded as Mac Roman (``‚àö`` for ``√``) or as
  Windows-1252 (``âˆž`` for ``∞``). Each damaged character is a run of 2-4 characters
  that, re-encoded with the wrong codec, form exactly one valid UTF-8 sequence; we
  repair run by run, so correct non-ASCII text (``Spørsmål``) is left alone;
* KaTeX output pasted from a web page: the square-root sign arrives as an inline
  ``data:image/svg+xml`` image after its radicand (``dk`` + image means ``√d_k``),
  and formulas arrive flattened (``softmax(dkQKT)V``);
* glued headers: a section header repeated on the end of an answer line.

Repairs never drop words: only the image blobs and the duplicated header go.
"""

from __future__ import annotations

import re
import unicodedata

_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def _encode_cp1252(text: str) -> bytes:
    """Windows-1252 encode that also maps C1 controls to their byte (as decoders leave them)."""
    out = bytearray()
    for ch in text:
        code = ord(ch)
        if 0x80 <= code <= 0x9F and code in _CP1252_UNDEFINED:
            out.append(code)
        else:
            out += ch.encode("cp1252")
    return bytes(out)


def _decode_one(chars: str) -> str | None:
    """The single character that ``chars`` is the mojibake of, or None."""
    for encode in (lambda s: s.encode("mac_roman"), _encode_cp1252):
        try:
            decoded = encode(chars).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if len(decoded) == 1 and unicodedata.category(decoded) not in ("Cc", "Cs", "Co"):
            return decoded
    return None


def _repair_run(run: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(run):
        for width in (4, 3, 2):
            piece = run[i : i + width]
            if len(piece) == width and (fixed := _decode_one(piece)) is not None:
                out.append(fixed)
                i += width
                break
        else:
            out.append(run[i])
            i += 1
    return "".join(out)


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 decoded as Mac Roman or Windows-1252, leaving correct text untouched."""
    return _NON_ASCII_RUN.sub(lambda m: _repair_run(m.group(0)), text)


_SVG_IMAGE = re.compile(r"!?\[[^\]\n]*\]\(data:image/svg\+xml.*?</svg>\s*\)", re.DOTALL)
# A radicand, blank lines, the square-root image, blank lines, then the text that follows.
_SQRT_IMAGE = re.compile(
    r"(?P<radicand>[^\s()]+)[ \t]*\n?[ \t]*\n?"
    + _SVG_IMAGE.pattern
    + r"(?P<gap>[ \t]*\n?[ \t]*\n?)"
    r"(?P<next>[ \t]?)",
    re.DOTALL,
)
# KaTeX flattens subscripts: d_k becomes "dk".
_FLAT_SUBSCRIPTS = {r"\bdk\b": "d_k", r"\bdmodel\b": "d_model"}
# Formulas KaTeX flattened beyond what a reader can parse, written back in plain notation.
_FLAT_FORMULAS = {
    r"softmax\(\s*d_?kQKT\s*\)": "softmax(QKᵀ/√d_k)",
    r"\b([A-Z])\((\w)(\d)\)\1\(\2\^\3\)": r"\1(\2^\3)",
}


def _sqrt_replacement(match: re.Match[str]) -> str:
    radicand = match.group("radicand")
    following = match.group("next")
    # Text continuing the sentence starts with a space on its own line; a new block does not.
    joiner = " " if following or not match.group("gap").count("\n") else "\n\n"
    return f"√{radicand}{joiner}"


def has_katex(text: str) -> bool:
    """Whether ``text`` carries KaTeX output pasted from a web page."""
    return "data:image/svg+xml" in text


def strip_katex(text: str, flattened: bool = False) -> str:
    """Replace KaTeX square-root images by √ and repair flattened subscripts.

    ``flattened`` says the document this text comes from is KaTeX output even where this
    piece of it has no image left (its subscripts are flattened all the same).
    """
    if not (flattened or has_katex(text)):
        return text
    text = _SQRT_IMAGE.sub(_sqrt_replacement, text)
    text = _SVG_IMAGE.sub("", text)
    text = re.sub(r"(√\S+) ([?.,;:!])", r"\1\2", text)
    for pattern, plain in _FLAT_SUBSCRIPTS.items():
        text = re.sub(pattern, plain, text)
    return text


def repair_text(text: str, katex: bool = False) -> str:
    """Every repair, in order; safe on clean text (it comes back unchanged)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = fix_mojibake(text)
    text = strip_katex(text, flattened=katex)
    for pattern, plain in _FLAT_FORMULAS.items():
        text = re.sub(pattern, plain, text)
    return text


# LaTeX a reader can follow as plain text: commands that become a character or nothing.
_LATEX_SYMBOLS = {
    "top": "ᵀ",
    "cdot": "·",
    "times": "×",
    "propto": "∝",
    "approx": "≈",
    "leq": "≤",
    "geq": "≥",
    "neq": "≠",
    "infty": "∞",
    "sum": "Σ",
    "prod": "Π",
    "ldots": "…",
    "dots": "…",
    "cdots": "…",
    "to": "→",
    "rightarrow": "→",
    "in": "∈",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "epsilon": "ε",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "sigma": "σ",
    "pi": "π",
    "odot": "⊙",
}
_LATEX_SPACES = re.compile(r"\\(?:quad|qquad|[,;: ])")
_LATEX_WRAPPERS = re.compile(
    r"\\(?:text|mathrm|mathbf|mathit|mathbb|mathcal|operatorname)\{([^{}]*)\}"
)
_LATEX_FRAC = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
_LATEX_SQRT = re.compile(r"\\sqrt\{([^{}]*)\}")
_LATEX_SCRIPT = re.compile(r"([_^])\{([^{}]*)\}")
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)")


def _grouped(text: str) -> str:
    """``text`` as one operand: bare when it is a single symbol or word, else in parentheses."""
    text = text.strip()
    return text if re.fullmatch(r"[\w.√ᵀ]+", text) else f"({text})"


def latex_to_text(text: str) -> str:
    """Inline LaTeX (``\\text{score} = Q K^{\\top}``) as plain notation (``score = QKᵀ``).

    Unknown commands lose their backslash, so no ``\\`` residue is left; text without
    LaTeX comes back unchanged apart from ``$`` delimiters.
    """
    if "\\" not in text and "$" not in text:
        return text
    text = text.replace("$", "")
    text = text.replace("\\left", "").replace("\\right", "")
    text = re.sub(r"\s*,?\s*\\q?quad\s*", ", ", text)
    text = _LATEX_SPACES.sub(" ", text).replace("\\!", "")
    text = re.sub(r"\^\{?\\top\}?|\^\{T\}", "ᵀ", text)
    for _ in range(4):  # nested groups, innermost first
        text = _LATEX_WRAPPERS.sub(r"\1", text)
        text = _LATEX_FRAC.sub(lambda m: f"{_grouped(m[1])}/{_grouped(m[2])}", text)
        text = _LATEX_SQRT.sub(lambda m: f"√{_grouped(m[1])}", text)
        text = _LATEX_SCRIPT.sub(
            lambda m: m[1] + (m[2] if re.fullmatch(r"\w+", m[2]) else f"({m[2]})"), text
        )
    text = _LATEX_COMMAND.sub(lambda m: _LATEX_SYMBOLS.get(m[1], m[1]), text)
    text = text.replace("{", "").replace("}", "").replace("\\", "")
    text = re.sub(r"(?<=\w) (?=ᵀ)", "", text)
    return " ".join(text.split())


def math_letters_to_ascii(text: str) -> str:
    """Mathematical italic letters pasted from rendered formulas (``𝑥``, ``𝑄``) as plain ones."""
    return "".join(
        unicodedata.normalize("NFKC", ch) if 0x1D400 <= ord(ch) <= 0x1D7FF or ch == "ℎ" else ch
        for ch in text
    )


def repair_subscripts(text: str) -> str:
    """Subscripts written flat (``dk``, ``dmodel``) in the notation the bank uses (``d_k``)."""
    for pattern, plain in _FLAT_SUBSCRIPTS.items():
        text = re.sub(pattern, plain, text)
    return text
