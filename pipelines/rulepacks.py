"""Rule packs: the wording of a language's (or a publisher's) news pages, as data.

A rule that names words ("With Post wires", "Il vous reste 57% de cet article à lire",
"Von Anna Berg") is true of the pages of one language or one publisher, not of news pages
in general, so it lives in a pack, ``pipelines/rules/<name>.toml``, not in code.  A page
gets the pack of its language (declared, else detected) and the packs its site profile
lists (``rule_packs``); the generic path in :mod:`pipelines.body` holds only rules true of
any news page.

A pack holds ``[[trailer]]`` rules (lines that close a story: credits, paywall and
subscription lines, pointers to other pages), ``[[leader]]`` rules (lines that open one:
bylines, badges) and ``[[author_label]]`` rules (the word in front of a name in an author
field: "By", "Von", "Autor").  Each rule has a ``pattern`` (a Python regex, case-insensitive unless
``ignore_case = false``), the ``purpose`` it serves and an ``example`` line it must drop;
the tests put every example on a realistic page.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RULES_DIR = Path(__file__).with_name("rules")

KINDS = ("trailer", "leader", "author_label")


class RulePackError(ValueError):
    """A rule pack is missing or malformed; the message names the file and the rule."""


@dataclass(frozen=True)
class Rule:
    pack: str
    kind: str
    purpose: str
    pattern: str
    example: str
    ignore_case: bool = True

    @property
    def scoped(self) -> str:
        """The pattern with its own flags, to be joined with other rules' patterns."""
        return f"(?i:{self.pattern})" if self.ignore_case else f"(?:{self.pattern})"


@dataclass(frozen=True)
class LineRules:
    """The compiled rules of a set of packs: None where no pack has a rule of the kind."""

    packs: tuple[str, ...]
    trailer: re.Pattern[str] | None
    leader: re.Pattern[str] | None
    author_label: re.Pattern[str] | None = None


def pack_names() -> list[str]:
    """The packs there are (one per ``rules/*.toml``)."""
    return sorted(p.stem for p in RULES_DIR.glob("*.toml"))


@lru_cache(maxsize=None)
def load_pack(name: str) -> tuple[Rule, ...]:
    """The rules of one pack, checked: every rule compiles and has a purpose and an example."""
    path = RULES_DIR / f"{name}.toml"
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name) or not path.is_file():
        raise RulePackError(f"unknown rule pack {name!r} (known: {', '.join(pack_names())})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RulePackError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(data) - set(KINDS)
    if unknown:
        raise RulePackError(f"{path}: unknown section(s) {sorted(unknown)} (known: {KINDS})")
    rules = []
    for kind in KINDS:
        for i, item in enumerate(data.get(kind, [])):
            where = f"{path}: [[{kind}]] #{i + 1}"
            missing = [k for k in ("purpose", "pattern", "example") if not item.get(k)]
            if missing:
                raise RulePackError(f"{where}: missing {', '.join(missing)}")
            rule = Rule(name, kind, item["purpose"], item["pattern"], item["example"],
                        bool(item.get("ignore_case", True)))
            try:
                re.compile(rule.scoped)
            except re.error as exc:
                raise RulePackError(f"{where}: pattern is not a valid regex: {exc}") from exc
            rules.append(rule)
    return tuple(rules)


@lru_cache(maxsize=256)
def line_rules(packs: tuple[str, ...]) -> LineRules:
    """The trailer and leader rules of ``packs`` compiled into one pattern per kind.

    Unknown pack names (a language without a pack) are skipped: most languages have none."""
    known = set(pack_names())
    rules = [r for name in packs if name in known for r in load_pack(name)]

    def joined(kind: str) -> re.Pattern[str] | None:
        parts = [r.scoped for r in rules if r.kind == kind]
        return re.compile("|".join(parts)) if parts else None

    return LineRules(packs, joined("trailer"), joined("leader"), joined("author_label"))


def packs_for(language: str | None, profile_packs: Iterable[str] = ()) -> tuple[str, ...]:
    """The packs a page gets: its site profile's, then its language's."""
    chosen = list(dict.fromkeys(profile_packs))
    if language and language not in chosen:
        chosen.append(language)
    return tuple(chosen)
