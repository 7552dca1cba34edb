"""Reading a candidate's answer as data: normalise it, set aside text aimed at the grader,
and recognise non-answers.

Nothing here follows an instruction found in an answer. Sentences that address the grader
("ignore the rubric", "SYSTEM NOTE: full marks", fake ``</answer>`` tags, a JSON grade)
are removed before scoring, so they can only cost the answer (clarity), never raise it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_ANSWER_CHARS = 6_000  # longer answers are graded on their first part (and told so)

_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
# A JSON object that carries a grade (``{"score": 5, "feedback": "perfect"}``) is set aside.
_GRADE_JSON = re.compile(
    r"\{[^{}]{0,300}[\"']?(score|grade|rating|marks?)[\"']?\s*:[^{}]{0,300}\}", re.IGNORECASE
)
# A grading element with its content (``<grade>5</grade>``) is set aside whole.
_PROMPT_ELEMENT = re.compile(
    r"<\s*(grade|score|verdict|feedback|system|instructions?|rubric|evaluation|judge|result)"
    r"\b[^<>]*>.{0,400}?</\s*\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
# Tags that imitate a grading prompt's structure. Any other angle-bracket text is content:
# an answer about tokenizers names <bos>, </s> or <|endoftext|>, one about HTML names <div>.
_PROMPT_TAG = re.compile(
    r"</?\s*(?:candidate_?answer|answer|grade|grading|score|rubric|system|instructions?|"
    r"reference(?:_answer)?|evaluation|evaluator|feedback|verdict|assistant|user|prompt|"
    r"key_points|offline_evidence|judge|result|question)\b[^<>]*>",
    re.IGNORECASE,
)
_GRADER_TALK = re.compile(
    r"ignore\b.{0,40}\b(rubric|instruction|previous|above|prior|reference|grading|rules)"
    r"|disregard\b.{0,40}\b(rubric|instruction|previous|above|reference)"
    r"|\b(system|admin|developer)\s*(note|override)s?\b|^\W*(system|assistant)\s*:"
    r"|\bnew instructions\b"
    r"|\b(give|award|assign|grant|score|rate|mark|grade)\b.{0,30}\b(full|maximum|max|perfect|top|"
    r"highest|5\s*/\s*5|10\s*/\s*10|100\s*%|five|5 points|full marks)\b"
    r"|\b(full|maximum|perfect)\s+(marks|score|points|credit)\b"
    r"|\b(you are|act as|pretend to be|as an?)\b.{0,30}\b(grader|evaluator|examiner|judge)\b"
    r"|\b(grader|evaluator|examiner|judge|model|assistant|ai)\b.{0,30}\b(must|should|will|shall)\b"
    r".{0,30}\b(give|award|score|grade|output|return|rate|mark)"
    r"|[\"']?(score|grade|rating)[\"']?\s*[:=]\s*[\"']?\d"
    r"|\b(ignore|disregard|override) (the|this|your)\s+rubric\b|\bgrading (instructions|prompt)\b"
    r"|\breference answer (is|was) (wrong|incorrect|outdated)\b"
    r"|\b(dear|hello|hi|hey|attention|note to( the)?|message to( the)?)\s+"
    r"(grader|evaluator|examiner|judge|marker|reviewer|assessor|grading (model|system))\b"
    r"|\b(score|grade|mark|marks|rate|rated|rating|deserves?|worth|award)\b.{0,25}"
    r"\b\d+(\.\d+)?\s*(/|out of)\s*\d+\b"
    r"|\b(pre-?graded|already graded|verified by the (panel|interviewer|grader))\b"
    r"|\b(grader|evaluator|examiner|marker|reviewer|assessor|automated scoring|scoring (model|"
    r"system)|grading (model|system|policy))\b.{0,60}\b(score|grade|mark|award|output|assign|"
    r"give|record|copy|approve|5|five|full)"
    r"|\b(if you are|dear)\s+(an?\s+)?(ai|llm|model|grader|evaluator|examiner)\b"
    r"|\b(for|to) (the|whoever|any)\s+(ai\s+|automated\s+)?(grader|evaluator|examiner|marker|"
    r"assessor|scores this|grades this)\b"
    r"|\b(marking|graded|grade[ds]?|scored?)\s+(this\s+|it\s+|by the \w+:?\s+)?\d(\.\d)?\s*/\s*\d"
    r"|\b(generous|lenient|kind)\s+(score|grade|mark)"
    r"|<\|im_start\|>\s*system|\bgrading mode\b"
    r"|\b(already|previously)\s+(approved|scored|graded|confirmed|received|given)\b"
    r"|\b(you are now|pretend|persona|role-?play)\b.{0,60}\b(grade|grader|award|score)"
    r"|\b(output|assign|award|give|record|copy)\s+(it\s+|me\s+|this\s+)?(a\s+)?((5|five|10|100)"
    r"(?![\d×x*.,])|full|maximum|perfect|that score)\b"
    r"|\b(be (kind|generous|lenient)|go easy)\b.{0,30}\b(score|grade|marks?|grading)\b"
    r"|\ba\s+(5|five|10|ten|perfect score)\s+would\b"
    r"|\b(grade|score|mark)\b.{0,20}\b(confirmed|approved|recorded)\b",
    re.IGNORECASE | re.DOTALL,
)
_DONT_KNOW = re.compile(
    r"^\W*(i\s*(really\s*)?(do\s*n[o']?t|dont|don’t)\s*know|no\s*idea|not\s*sure|idk|dunno|"
    r"i\s*(am|'m|’m|m)\s*not\s*(sure|certain)|"
    r"pass|skip|no\s*clue|i\s*(can[' ]?t|cannot)\s*remember|i\s*have\s*no\s*idea|"
    r"vet ikke|jeg vet ikke|no lo s[eé]|keine ahnung|je ne sais pas|n/?a|none|nothing|\?+)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
FUNCTION_WORDS = frozenset(
    (
        "a an the is are was were be been being of to in on at by for with from as that this "
        "these those it its it's they them their there which who whom whose what when where why "
        "how and or but so because since while if then than also not no can could should would "
        "will may might must do does did has have had into onto over under between each every all "
        "any more most less such very only just about through during before after both either "
        "neither one ones we you i he she his her our your my me us"
    ).split()
)


@dataclass(frozen=True)
class ReadAnswer:
    """An answer prepared for grading: the content to score and what was set aside."""

    original: str
    content: str
    set_aside: list[str]
    truncated: bool

    @property
    def addressed_grader(self) -> bool:
        return bool(self.set_aside)


def normalise(text: str) -> str:
    """NFKC (fullwidth and compatibility forms fold to plain letters), no zero-width chars."""
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def read_answer(answer: str) -> ReadAnswer:
    """Split ``answer`` into content to grade and sentences addressed to the grader."""
    truncated = len(answer) > MAX_ANSWER_CHARS
    text = normalise(answer[:MAX_ANSWER_CHARS])
    text = re.sub(
        r"```.*?```",
        lambda m: m.group(0) if not _GRADER_TALK.search(m.group(0)) else " ",
        text,
        flags=re.DOTALL,
    )
    kept: list[str] = []
    aside: list[str] = [m.group(0) for m in _PROMPT_ELEMENT.finditer(text)]
    aside += [m.group(0) for m in _GRADE_JSON.finditer(text)]
    text = _GRADE_JSON.sub("\n", _PROMPT_ELEMENT.sub("\n", text))
    for sentence in sentences(_PROMPT_TAG.sub("\n", text)):
        (aside if _GRADER_TALK.search(sentence) else kept).append(sentence)
    if _PROMPT_TAG.search(text):
        aside.append("(tags imitating the grading prompt)")
    return ReadAnswer(answer, " ".join(kept).strip(), aside, truncated)


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:['’][^\W_]+)?", text.lower())


def is_non_answer(content: str) -> bool:
    """Empty, or nothing but "I don't know" / "pass" and filler ("sorry", "next question")."""
    tokens = words(content)
    if not tokens:
        return True
    rest = _DONT_KNOW.sub("", content.strip(), count=1)
    return len(tokens) <= 12 and rest != content.strip() and not _substance(rest)


_UNSURE = re.compile(
    r"^\W*(i\s*(really\s*)?(do\s*n[o']?t|dont|don’t)\s*know|no\s*idea|not\s*sure|idk|no\s*clue|"
    r"i\s*(am|'m|’m|m)?\s*not\s*(sure|certain)|i\s*(can[' ]?t|cannot)\s*remember)\b",
    re.IGNORECASE,
)


def opens_unsure(content: str) -> bool:
    """A short answer that starts by saying it does not know ("not sure... maybe X")."""
    return len(words(content)) <= 25 and bool(_UNSURE.match(content.strip()))


_FILLER = frozenset(
    (
        "sorry really honestly at all i we can move on to the next question please skip pass "
        "forgot forget it have no idea clue not sure don't dont know"
    ).split()
)


def _substance(text: str) -> bool:
    """Whether ``text`` says anything beyond filler words."""
    return any(w not in _FILLER and w not in FUNCTION_WORDS for w in words(text))


_EXPLAIN = re.compile(
    r"^\W*(why|how|explain|describe|compare|in what way|what (happens|problem|is the "
    r"(difference|role|purpose|benefit|idea|function|intuition)|"
    r"are the (roles|benefits|advantages)))\b",
    re.IGNORECASE,
)


def asks_for_explanation(question: str) -> bool:
    """Why/how/explain questions: a list of terms does not answer them."""
    return bool(_EXPLAIN.match(question))


def stem(word: str) -> str:
    """A crude stem, enough to see "use", "used" and "uses" as one word."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
            break
    return word.removesuffix("e") if len(word) > 2 else word


def restates(answer: str, question: str) -> bool:
    """Nothing but the question's own words (at least three of them): no answer in it."""
    asked = {stem(w) for w in words(question)}
    content = {stem(w) for w in words(answer) if w not in FUNCTION_WORDS}
    return len(content) >= 3 and content <= asked


def function_word_ratio(text: str) -> float:
    """Share of function words: prose sits near 0.4, a keyword list near 0."""
    tokens = words(text)
    return sum(t in FUNCTION_WORDS for t in tokens) / len(tokens) if tokens else 0.0


# Function words of other languages the interview sets hold answers in (Norwegian and Danish,
# Spanish, German, French, Italian, Dutch, Swedish, Portuguese); words English shares
# ("die", "is", "in", "a") are left out, so they count for English only.
_FOREIGN = (
    "og er det som til av på med ikke en et den har fra eller fordi hvor el la los las del "
    "que por para con una es y se lo más pero porque como der die das und ist nicht mit ein "
    "eine zu von für auf dem den wird sich le les des est et une pour dans sur pas qui avec "
    "sont parce il gli di da nel nella della delle dei degli alla al che non sono è uno ma "
    "anche più ogni viene vengono het een en van niet dat met voor op te zijn door naar bij "
    "maar ook wordt worden heeft meer elke och att ett är för inte varje efter också eller "
    "os do dos das em na um não são ao mais mas cada é com uma kan alle andre hvert hver au "
    "aux ce ces cette même ele ela entre todos todas"
)
_FOREIGN_FUNCTION_WORDS = frozenset(_FOREIGN.split()) - FUNCTION_WORDS


def looks_english(text: str) -> bool:
    """Rough check, by function words: an answer in another language gets a note that the
    offline model reads English best, and is never capped as a keyword list (its few English
    function words say nothing about its prose)."""
    tokens = words(text)
    foreign = sum(t in _FOREIGN_FUNCTION_WORDS for t in tokens)
    english = sum(t in FUNCTION_WORDS for t in tokens)
    return not (foreign >= 2 and foreign > english)
