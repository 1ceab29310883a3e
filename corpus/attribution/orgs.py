"""Organisation references: "the company", "the union", "the department", "the city" and "a
statement" resolved to the organisation the article names, as "the authority" resolves to
"Kestrel Transport Authority".

An organisation's kind is read from its name ("Northern Water Agency", "Department of
Justice", "Acme Corp.", "City of Toronto") or from an apposition ("Unifor, the union that
...", "the ride-hailing company Uber"). A description resolves only to the one organisation
of its kind named before it; failing that, "the company" or "the union" may take the
organisation that spoke last, if it is named by a single word or acronym ("Facebook said
... The company said"). A statement takes the organisation that issued it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

# Description head -> kind of organisation it refers to.
KINDS = {
    "company": "company",
    "firm": "company",
    "corporation": "company",
    "business": "company",
    "retailer": "company",
    "automaker": "company",
    "carmaker": "company",
    "airline": "company",
    "insurer": "company",
    "manufacturer": "company",
    "startup": "company",
    "bank": "bank",
    "lender": "bank",
    "agency": "agency",
    "department": "department",
    "ministry": "ministry",
    "union": "union",
    "city": "city",
    "town": "city",
    "municipality": "city",
    "board": "board",
    "council": "council",
    "commission": "commission",
    "authority": "authority",
    "university": "university",
    "hospital": "hospital",
    "league": "league",
    "club": "club",
    "team": "team",
    "government": "government",
    "organization": "organisation",
    "organisation": "organisation",
    "group": "organisation",
    "association": "association",
    "federation": "union",
    "institute": "institute",
    "foundation": "foundation",
    "court": "court",
    "police": "police",
    "service": "service",
}
# Last words of company names.
_COMPANY_SUFFIXES = {
    "inc",
    "corp",
    "corporation",
    "co",
    "ltd",
    "llc",
    "plc",
    "limited",
    "holdings",
    "group",
    "company",
    "ag",
    "gmbh",
}
# A word of a capitalised name, "and", "of", "for" between them ("Bank of Nova Scotia").
_CAP = r"[A-Z][\w'’&-]*"
# A capitalised name, "of", "for", "and" between its words ("Bank of Nova Scotia") and a
# company suffix's full stop ("Acme Corp."); no other full stop (sentences end there).
_NAME = (
    rf"{_CAP}(?:\s+(?:(?:of|for|and|&|the)\s+)?{_CAP}){{0,5}}"
    r"(?:\s+(?:Inc|Corp|Co|Ltd|Bros)\.|(?:(?<=Inc)|(?<=Corp)|(?<=Ltd))\.)?"
)
_ACRONYM_OR_WORD = re.compile(r"(?:[A-Z][A-Za-z0-9&.-]*)$")
_HEAD_OF = re.compile(
    rf"\b(?P<head>Department|Ministry|City|Town|Office|Bureau|University|Bank|Board|Council|"
    rf"Government|Province|State|Region|Municipality)\s+of\s+(?:the\s+)?(?P<rest>{_NAME})"
)
_RUN = re.compile(rf"\b(?:[Tt]he\s+)?(?P<name>{_NAME})")
_KIND_WORDS = "|".join(sorted(KINDS, key=len, reverse=True))
# "Unifor, the union representing ...", "Acme, a Toronto-based company,"
_APPOSITION_AFTER = re.compile(
    rf"(?P<name>{_NAME}),\s+(?:a|an|the)\s+(?:[\w'’-]+\s+){{0,4}}?(?P<head>{_KIND_WORDS})\b"
    r"(?=\s*(?:,|\.|;|that\b|which\b|who\b|whose\b|representing\b|based\b|in\b|of\b|for\b|"
    r"with\b|at\b|behind\b|from\b))"
)
# "the ride-hailing company Uber", "the union, Unifor,"
_APPOSITION_BEFORE = re.compile(
    rf"\b(?:the|a|an)\s+(?:[\w'’-]+\s+){{0,3}}?(?P<head>{_KIND_WORDS}),?\s+(?P<name>{_NAME})"
)
_DESCRIPTION = re.compile(
    rf"^(?:the|its|their)\s+(?:[\w'’-]+\s+){{0,3}}?(?P<head>{_KIND_WORDS})$", re.IGNORECASE
)
_STATEMENT = re.compile(
    r"^(?:a|an|the|its|their|his|her)\s+(?:[\w'’-]+\s+){0,2}?(?:statement|release)\b"
    rf"(?:\s+(?:from|by|issued\s+by|released\s+by)\s+(?:the\s+)?(?P<by>{_NAME}))?",
    re.IGNORECASE,
)
_ISSUED = re.compile(
    rf"(?:\b[Tt]he\s+(?P<desc>[a-z]+)|(?P<name>{_NAME}))\s+(?:also\s+|later\s+|then\s+)?"
    r"(?:issued|released|put\s+out|sent(?:\s+out)?|published|posted|distributed)\s+"
    r"(?:a|an)\s+(?:[\w-]+\s+){0,2}?(?:statement|release)\b"
)
_STATEMENT_OF = re.compile(
    rf"(?:statement|release)\s+(?:from|by|issued\s+by|released\s+by)\s+(?:the\s+)?(?P<name>{_NAME})"
    rf"|(?P<poss>{_NAME})['’]s?\s+(?:[\w-]+\s+)?statement|\b(?:a|an|the)\s+(?P<attr>{_NAME})\s+"
    r"statement"
)


@dataclass(slots=True)
class NamedOrg:
    pos: int
    name: str
    kind: str


def _kind_of_name(words: list[str]) -> str | None:
    last = words[-1].lower().rstrip(".,")
    if last in _COMPANY_SUFFIXES:
        return "company"
    return KINDS.get(last)


class OrgIndex:
    """Organisations named in one document, with their kinds, and who issued statements."""

    def __init__(self, text: str) -> None:
        self.named: list[NamedOrg] = []
        self.issued: list[tuple[int, str]] = []  # (offset, issuer name or description)
        for m in _HEAD_OF.finditer(text):
            name = f"{m.group('head')} of {m.group('rest')}"
            self.named.append(NamedOrg(m.start(), name, KINDS.get(m.group("head").lower(), "")))
        for m in _RUN.finditer(text):
            words = m.group("name").split()
            kind = _kind_of_name(words) if len(words) >= 2 else None
            if kind:
                self.named.append(NamedOrg(m.start("name"), " ".join(words), kind))
        for rx in (_APPOSITION_AFTER, _APPOSITION_BEFORE):
            for m in rx.finditer(text):
                name = _trim_name(m.group("name"))
                if name:
                    self.named.append(
                        NamedOrg(m.start("name"), name, KINDS[m.group("head").lower()])
                    )
        self.named.sort(key=lambda o: o.pos)
        for m in _ISSUED.finditer(text):
            who = m.group("name") or m.group("desc")
            self.issued.append((m.start(), _trim_name(who) if m.group("name") else f"the {who}"))
        for m in _STATEMENT_OF.finditer(text):
            who = _trim_name(m.group("name") or m.group("poss") or m.group("attr") or "")
            if who:
                self.issued.append((m.start(), who))
        self.issued.sort()

    def by_description(self, text: str, pos: int) -> str | None:
        """The organisation "the company" (`text`) at `pos` refers to: the one of its kind
        named before it (its other words decide between several: "the water agency"), or
        None."""
        m = _DESCRIPTION.match(text.strip())
        if m is None:
            return None
        kind = KINDS[m.group("head").lower()]
        found = {o.name for o in self.named if o.pos < pos and o.kind == kind}
        if len(found) > 1:
            mods = {w.lower() for w in text.split()[1:-1]}
            found = {n for n in found if mods and mods <= {w.lower() for w in n.split()}}
        return found.pop() if len(found) == 1 else None

    def issuer(self, text: str, pos: int, window: int = 2000) -> str | None:
        """Who issued the statement `text` at `pos` refers to ("a statement from Acme",
        "the statement" after "Acme released a statement"), or None."""
        m = _STATEMENT.match(text.strip())
        if m is None:
            return None
        if m.group("by"):
            return _trim_name(m.group("by"))
        before = [who for off, who in self.issued if pos - window <= off < pos]
        return before[-1] if before else None


def description_kind(text: str) -> str | None:
    m = _DESCRIPTION.match(text.strip())
    return KINDS[m.group("head").lower()] if m else None


def org_like_name(name: str) -> bool:
    """A single word or acronym ("Facebook", "Unifor", "NHS"): the kind of name an
    organisation that spoke is given, and a person seldom is in full."""
    return len(name.split()) == 1 and bool(_ACRONYM_OR_WORD.match(name))


def _trim_name(name: str) -> str:
    """A matched name less leading openers ("Meanwhile Unifor") and trailing joiners."""
    words = name.split()
    while len(words) > 1 and words[0].lower() in STOP_WORDS:
        words = words[1:]
    while words and words[-1].lower() in {"and", "of", "for", "the", "&"}:
        words = words[:-1]
    name = " ".join(words).rstrip(",")
    if words and words[-1].lower().rstrip(".,") in _COMPANY_SUFFIXES:
        return name  # "Acme Robotics Inc." as its other mentions write it
    return name.rstrip(".")
