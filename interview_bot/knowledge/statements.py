"""Statements of one reference answer: its sentences and bullets as an interviewer would say
them.

Text is repaired (``d_k``, LaTeX as plain notation); a bullet list of short items becomes one
statement under its label ("Common encoder-only models: BERT, RoBERTa, ..."), also when it
sits beside lines that state nothing; a table gives one statement per row, and a lead-in
ending in a colon takes the formula that follows it. Headings, lead-ins, bare formulas and
fragments ("In dot-product attention, scores are") are not statements. A sentence opening
on a pronoun stays with the one it refers to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from interview_bot.knowledge.repair import latex_to_text, math_letters_to_ascii, repair_subscripts

_MIN_WORDS = 4
_ITEM_WORDS = 12  # bullets up to this long, without a full stop, are list items

_BULLET = re.compile(r"^\s*(?:[-*+•>]|\d+[.)])\s+")
_UNNUMBERED_BULLET = re.compile(r"^\s*[-*+•]\s+")
_STRONG = re.compile(r"(\*\*|__)(.+?)\1")
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=[^\s*])([^*]+?)(?<=\S)\1(?![\w*])")
_SENTENCE_END = re.compile(
    r"(?<!\bvs\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<=[.!?])\s+(?=[A-Z(\"'“])"
)
_NUMBERED = re.compile(r"^\s*\d+[.)]\s")
_BOLD_ONLY = re.compile(r"^\s*(\*\*|__)[^*_]+\1\s*:?\s*$")
# Sub-headings inside answers ("Why self-attention is powerful") introduce points, they are
# not points themselves.
_HEADING_LIKE = re.compile(r"^(why|how|what|when|which|where)\b", re.IGNORECASE)
# A statement ending on one of these words stops mid-sentence.
_DANGLING = frozenset(
    "a an the is are was were be been by of to and or that as with for in on at from into "
    "than then because where which when while like asks such its their this these".split()
)
# Words that do not make a line prose: a line of only these and symbols is a formula.
_MATH_WORDS = frozenset("softmax sqrt sin cos exp log max min where attention".split())
_PRONOUN_START = re.compile(r"^[a-z_]+\w* (is|are)\b")
_DEMONSTRATIVE = re.compile(r"\b(this|that|these|those|it)\b", re.IGNORECASE)
_GENERIC_LABEL = re.compile(r"\b(they|it|this|these)\b", re.IGNORECASE)
# A sentence opening with one of these leans on the sentence before it ("This represents
# what the token is looking for."): it stays attached to that sentence.
_ANAPHORA = re.compile(r"^(This|It|These|They|That|Such)\s+(?=[a-z])")
_MAX_JOINED_WORDS = 60
_CONNECTIVE = re.compile(r"^(So|Thus|Hence|Therefore|And|Also),?\s+(?=\w)")  # "So the model needs:"


def _plain(text: str) -> str:
    """Markdown emphasis and math delimiters off, text repaired, whitespace collapsed."""
    text = _EMPHASIS.sub(r"\2", _STRONG.sub(r"\2", text))
    text = text.replace("`", "")
    text = re.sub(r"(?<!\w)\*(?=\w)", "", text)  # an unpaired "*only"
    text = re.sub(r"\\\(|\\\)", "", text)
    text = math_letters_to_ascii(latex_to_text(text))
    text = repair_subscripts(text).replace("dₖ", "d_k")
    text = re.sub(r"\bW([QKVO])\b", r"W_\1", text)  # projection matrices written flat
    text = re.sub(r"\bKT\b", "Kᵀ", text)  # KaTeX flattens K^T
    text = re.sub(r"[✅❌✔✘]\s*", "", text)  # table marks: the cell says Yes or No too
    # what a paste from a web page leaves: a lost superscript ("O(n2)"), a footnote mark
    # on a word ("a single attention1 calculation")
    text = re.sub(r"\bO\((\w)([23])\)", lambda m: f"O({m[1]}{'²³'[int(m[2]) - 2]})", text)
    text = re.sub(r"\b([a-z]{6,})[1-9](?=[\s,.;:)]|$)", r"\1", text)
    return " ".join(text.split()).strip(" -:") + (":" if text.rstrip().endswith(":") else "")


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]{2,}", text)


def is_formula(text: str) -> bool:
    """A line that is notation rather than prose (``Q = x W_Q, K = x W_K``)."""
    prose = [w for w in _words(text) if len(w) > 2 and w.lower() not in _MATH_WORDS]
    return len(prose) <= 1


def _balanced(text: str) -> bool:
    return text.count("(") == text.count(")") and text.count('"') % 2 == 0


def is_statement(text: str) -> bool:
    """Whether ``text`` reads as a self-contained statement rather than a fragment."""
    words = text.rstrip(".!?").split()
    if len(words) < _MIN_WORDS:
        return False
    if len(words) < 8 and _DEMONSTRATIVE.search(text):  # "Token embeddings provide this ..."
        return False
    if text.endswith(":") or words[-1].lower().strip(",;") in _DANGLING:
        return False
    if text.rstrip("\"'”’)").endswith("?"):  # a question asks, it does not state
        return False
    if "\\" in text or not _balanced(text) or is_formula(text):
        return False
    if _HEADING_LIKE.match(text) and not text.endswith((".", "?", "!")):
        return False
    first = text[0]
    # a lowercase start continues an earlier line, unless it names a term ("softmax is ...")
    return not first.islower() or bool(_PRONOUN_START.match(text))


def introduces_only(line: str) -> bool:
    """Whether a raw answer line only introduces what should follow it: a bold label
    ("**Example:**"), a lead-in ending in a colon, or a bulleted sub-heading ("- Why large
    scores are bad"). A numbered item is one of a list, and a plain line may be a short
    answer without a full stop: neither counts."""
    bullet = _UNNUMBERED_BULLET.match(line)
    bare = line[bullet.end() :] if bullet else line
    if _BOLD_ONLY.match(bare) or line.rstrip().endswith(":"):
        return True
    bare = bare.strip()
    return bool(bullet) and bool(_HEADING_LIKE.match(bare)) and not bare.endswith((".", "!", "?"))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


@dataclass
class _Node:
    text: str
    indent: int
    label: bool = False  # a bold-only line or sub-heading: introduces, says nothing itself
    children: list[_Node] = field(default_factory=list)


def _lines(text: str) -> list[tuple[int, str, bool]]:
    """(indent, plain text, is a label) per line; ``$$`` blocks joined into one line, and a
    lead-in ending in a colon joined with the formula that follows it."""
    raw_lines = text.split("\n")
    joined: list[tuple[int, str]] = []
    i = 0
    while i < len(raw_lines):
        line = raw_lines[i]
        if line.strip().startswith("$$") and line.strip().count("$$") == 1:
            block = [line]
            while i + 1 < len(raw_lines) and "$$" not in raw_lines[i + 1]:
                i += 1
                block.append(raw_lines[i])
            if i + 1 < len(raw_lines):
                i += 1
                block.append(raw_lines[i])
            line = " ".join(b.strip() for b in block)
            line = (len(raw_lines[i]) - len(raw_lines[i].lstrip())) * " " + line
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        joined.append((indent, line))
        i += 1
    out: list[tuple[int, str, bool]] = []
    numbered: list[bool] = []
    for indent, line in joined:
        unbulleted = _BULLET.sub("", _BULLET.sub("", line))
        plain = _plain(unbulleted)
        if not plain or line.lstrip().startswith("#"):
            continue
        formula = line.strip().startswith("$$") or is_formula(plain)
        if formula and out and out[-1][1].endswith(":") and not out[-1][2]:
            lead = out[-1][1].rstrip(":").rstrip()
            out[-1] = (out[-1][0], f"{lead}: {plain}", False)
            continue
        label = bool(_BOLD_ONLY.match(unbulleted)) or (
            _HEADING_LIKE.match(plain) is not None and not plain.endswith((".", "?"))
        )
        out.append((indent, plain, label))
        numbered.append(bool(_NUMBERED.match(line)))
    return _outline_titles(out, numbered)


def _outline_titles(
    lines: list[tuple[int, str, bool]], numbered: list[bool]
) -> list[tuple[int, str, bool]]:
    """A numbered run that is an outline ("1. Self-attention has no notion of order",
    "2. ...", "3. Why positional encoding is added, not concatenated"): one item is a
    sub-heading and none ends a sentence, so all are titles of sections, not statements."""
    out = list(lines)
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and numbered[j] and out[j][0] == out[i][0]:
            j += 1
        run = out[i:j]
        if len(run) >= 2 and any(r[2] for r in run) and not any(r[1].endswith(".") for r in run):
            out[i:j] = [(indent, text, True) for indent, text, _ in run]
        i = max(j, i + 1)
    return out


def _tree(lines: list[tuple[int, str, bool]]) -> list[_Node]:
    roots: list[_Node] = []
    stack: list[_Node] = []
    for indent, text, label in lines:
        node = _Node(text, indent, label)
        while stack and stack[-1].indent >= indent:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def _is_item(node: _Node) -> bool:
    words = len(node.text.split())
    return not node.children and words <= _ITEM_WORDS and not node.text.endswith(".")


def _item(text: str) -> str:
    """A list item as it reads inside a sentence: sentence case lowered, proper names kept."""
    words = text.split()
    if (
        len(words) >= 2
        and (words[0] == "A" or re.fullmatch(r"[A-Z][a-z]+(-[a-z]+)*", words[0]))
        and not words[1][:1].isupper()
    ):
        return text[:1].lower() + text[1:]
    return text


def _label_for(node: _Node, ancestors: list[_Node]) -> str:
    """What a list is about: its own line, or when that only asks ("What they are"), the
    closest line above it that names the subject."""
    own = node.text.rstrip(":").strip()
    if _CONNECTIVE.match(own):
        own = _CONNECTIVE.sub("", own)
        own = own[:1].upper() + own[1:]
    if not _HEADING_LIKE.match(own) or (len(own.split()) > 4 and not _GENERIC_LABEL.search(own)):
        return own
    for above in reversed(ancestors):
        text = above.text.rstrip(":").strip()
        if not _HEADING_LIKE.match(text):
            return text
    return own


def _list_statement(node: _Node, items: list[_Node], ancestors: list[_Node]) -> str | None:
    """The items of a list as one statement under the line that introduces them."""
    label = _label_for(node, ancestors)
    parts = [_item(k.text.rstrip(";,")) for k in items]
    joiner = ", " if all(len(p.split()) <= 3 for p in parts) else "; "
    statement = _sentence(f"{label}: {joiner.join(parts)}")
    if label[:1].isupper() and "\\" not in statement and _balanced(statement):
        return statement
    return None


def _emit(nodes: list[_Node], ancestors: list[_Node], out: list[tuple[str, list[str]]]) -> None:
    for node in nodes:
        items = [k for k in node.children if _is_item(k)]
        rest = [k for k in node.children if not _is_item(k)]
        if len(items) >= 2 and rest:
            # a list beside lines that state nothing ("At each step, the decoder asks:",
            # "That's exactly what cross-attention enables."): still one statement
            said: list[tuple[str, list[str]]] = []
            _emit(rest, [*ancestors, node], said)
            if said:
                items = []
        if len(items) >= 2:
            statement = _list_statement(node, items, ancestors)
            if statement:
                out.append((statement, [k.text for k in items]))
            continue
        if not node.label:
            sentences = [s.strip() for s in _SENTENCE_END.split(node.text)]
            if len(sentences) > 1 and not sentences[-1].endswith((".", "!", "?", ")")):
                sentences.pop()  # prose whose last sentence stops short was cut off
            for sentence in _attach_anaphora(sentences):
                if is_statement(sentence):
                    out.append((sentence, [sentence]))
        _emit(node.children, [*ancestors, node], out)


def _attach_anaphora(sentences: list[str]) -> list[str]:
    """Sentences with each one that opens on a pronoun ("It typically has two linear
    layers.") joined to the sentence it refers back to, so no point starts mid-thought."""
    out: list[str] = []
    for sentence in sentences:
        if out and _ANAPHORA.match(sentence) and out[-1].endswith("."):
            joined = f"{out[-1][:-1]}; {sentence[:1].lower()}{sentence[1:]}"
            if len(joined.split()) <= _MAX_JOINED_WORDS:
                out[-1] = joined
                continue
        out.append(sentence)
    return out


def _table_points(rows: list[list[str]]) -> list[str]:
    """``| Feature | A | B |`` tables (Markdown or tab-separated) as one sentence per row."""
    header, *body = rows
    points = []
    for row in body:
        if len(row) != len(header) or not row[0]:
            continue
        cells = ", ".join(f"{h} {c}".strip() for h, c in zip(header[1:], row[1:], strict=True))
        points.append(f"{row[0]}: {cells}")
    return points


def candidates(text: str) -> list[str]:
    """Statement-sized points of one reference answer, in order."""
    return list(statement_parts(text))


def table_rows(text: str) -> set[str]:
    """The statements of one reference answer made from the rows of a table."""
    return {statement for statement, _, row in _statements(text) if row}


def statement_parts(text: str) -> dict[str, list[str]]:
    """Each statement of one reference answer, in order, with the lines it was built from
    (the items of a list statement; the statement itself otherwise)."""
    parts: dict[str, list[str]] = {}
    for statement, lines, _ in _statements(text):
        parts.setdefault(statement, lines)
    return parts


def _statements(text: str) -> list[tuple[str, list[str], bool]]:
    """Statements in order, with their lines and whether a table row made them."""
    out: list[tuple[str, list[str]]] = []
    rows: set[int] = set()  # places in ``out`` that hold a table row
    table: list[list[str]] = []
    prose: list[str] = []

    def flush_prose() -> None:
        if prose:
            _emit(_tree(_lines("\n".join(prose))), [], out)
            prose.clear()

    for raw in [*text.split("\n"), ""]:
        cells = None
        if raw.strip().startswith("|") and raw.count("|") >= 3:
            cells = [_plain(c) for c in raw.strip().strip("|").split("|")]
        elif raw.count("\t") >= 1 and len(raw.split("\t")) >= 3:
            cells = [_plain(c) for c in raw.split("\t")]
        if cells is not None:
            flush_prose()
            if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                table.append(cells)
            continue
        if table:
            for row in _table_points(table) if len(table) > 1 else []:
                rows.add(len(out))
                out.append((row, [row]))
            table = []
        prose.append(raw)
    flush_prose()
    return [(statement, lines, n in rows) for n, (statement, lines) in enumerate(out)]
