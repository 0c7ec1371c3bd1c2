"""Every text a person reads, in English and Chinese (issues #12, #15).

One module per area (cli, values, io, workbook, report, results, planner, ...), each with a dict
`MESSAGES = {key: (english, chinese)}`; str.format fields in braces, the same fields in both
languages (tests/text/test_messages.py walks every entry). Areas are found by listing this package,
so a new area module needs no registration here.

    text("cli.answer", "zh")                      -> "答案"
    text("values.unknown_variable", name="foo", hint="")
"""
from __future__ import annotations

import importlib
import pkgutil
import string
from functools import lru_cache
from typing import TypeVar

LANGS = ("en", "zh")


@lru_cache(maxsize=1)
def catalog() -> dict[str, tuple[str, str]]:
    """key -> (English, Chinese), from every area module; a key defined twice is a bug."""
    out: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, pair in getattr(module, "MESSAGES", {}).items():
            if key in out:
                raise RuntimeError(f"message {key!r} is defined twice (engine/messages/{info.name}.py)")
            out[key] = pair
    return out


def template(key: str, lang: str = "en") -> str:
    """The raw template of `key` in `lang` (English for an unknown language)."""
    english, chinese = catalog()[key]
    return chinese if lang == "zh" and chinese else english


class Nested:
    """A message inside a message (a hint, a clause), said in the outer message's language;
    Nested() with no key is empty."""

    def __init__(self, key: str = "", /, **fields: object) -> None:
        self.key, self.fields = key, fields

    def say(self, lang: str) -> str:
        return text(self.key, lang, **self.fields) if self.key else ""

    def __str__(self) -> str:
        return self.say("en")


def text(key: str, lang: str = "en", /, **fields: object) -> str:
    """The message `key` in `lang`, with its {fields} filled (Nested fields in the same language)."""
    filled = {name: value.say(lang) if isinstance(value, Nested) else value for name, value in fields.items()}
    return template(key, lang).format(**filled)


def fields_of(template_text: str) -> set[str]:
    """The str.format field names a template uses."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template_text)
            if name is not None}


def table(prefix: str, lang: str = "en") -> dict[str, str]:
    """Every message under `prefix.` as {rest of key: text}, e.g. table("report", "zh")["title"]."""
    start = prefix + "."
    return {key[len(start):]: template(key, lang) for key in catalog() if key.startswith(start)}


def rule_mismatch(rule_id: str, formula: str, tolerance: float, lang: str,
                  rounded_figures: bool = False) -> tuple[str, str]:
    """A warning that given values miss an approximate rule (or an exact one, as rounded figures do), split
    around the gap figure.

    The caller puts the gap (e.g. "12.5%") between the two parts, one number or a whole column."""
    key = "results.rule_rounded" if rounded_figures else "results.rule_mismatch"
    whole = text(key, lang, rule=rule_id, formula=formula, tolerance=f"{tolerance:.0%}", gap="\x00")
    head, _, tail = whole.partition("\x00")
    return head, tail


E = TypeVar("E", bound=BaseException)


def keyed(error: type[E], key: str, /, **fields: object) -> E:
    """An exception whose text is the message `key` in English, remembering key and fields so the
    command line can say it in the user's language (localized)."""
    exc = error(text(key, "en", **fields))
    exc.message_key = key              # type: ignore[attr-defined]
    exc.message_fields = fields        # type: ignore[attr-defined]
    return exc


def rekeyed(error: E, key: str, /, **fields: object) -> E:
    """`error` said again as the message `key` (its fields may hold the error itself, Caught), keeping what else
    it carries (an under-determined error's missing and suggestions)."""
    told = keyed(type(error), key, **fields)
    told.__dict__.update({k: v for k, v in error.__dict__.items() if not k.startswith("message_")})
    return told


def localized(exc: BaseException | str, lang: str) -> str:
    """An exception's (or a Said text's) text in `lang`: from its message key when it has one, else as raised.

    A prefix before the keyed text (a cell address added on the way up: "scenarios!C7: ...") is kept."""
    key = getattr(exc, "message_key", None)
    problems = getattr(exc, "problems", None)
    if key is None and lang != "en" and isinstance(problems, list) and problems:
        return _problem_list(problems, lang)
    if key is None or lang == "en" or key not in catalog():
        return str(exc)
    fields = getattr(exc, "message_fields", {})
    english, translated = text(key, "en", **fields), text(key, lang, **fields)
    whole = str(exc)
    return whole.replace(english, translated) if english in whole else translated


def _problem_list(problems: list[str], lang: str) -> str:
    """A rule loader's "file:line: text" problems (DefinitionError) in `lang`: each problem that
    remembers its message key is said again, the others as found."""
    head = [text("rules.problems_head", lang, count=len(problems))] if len(problems) > 1 else []
    return "\n".join(head + [localized(problem, lang) for problem in problems])


class Said(str):
    """A text made from a keyed error (with a prefix such as a cell address) that can be said again in
    another language: rows' errors are kept as text, and this text remembers its message key."""

    message_key: str
    message_fields: dict[str, object]


class Both(Nested):
    """A text the caller has in both languages (a variable's label from its rule file)."""

    def __init__(self, english: str, chinese: str = "") -> None:
        super().__init__()
        self.english, self.chinese = english, chinese

    def say(self, lang: str) -> str:
        return self.chinese if lang == "zh" and self.chinese else self.english


class Joined(Nested):
    """Several messages said one after another in one language (a head and its clauses)."""

    def __init__(self, *parts: Nested, separator: str = "") -> None:
        super().__init__()
        self.parts = [p for p in parts if p.key or isinstance(p, (Joined, Both, Caught))]
        self.separator = separator

    def say(self, lang: str) -> str:
        return self.separator.join(part.say(lang) for part in self.parts)


class Caught(Nested):
    """An error caught on the way up, said inside another message in that message's language."""

    def __init__(self, exc: BaseException | str) -> None:
        super().__init__()
        self.exc = exc

    def say(self, lang: str) -> str:
        return localized(self.exc, lang)


def said_text(key: str, /, **fields: object) -> Said:
    """The message `key` in English as a Said: a row's error text that remembers its key and fields
    so a workbook or terminal in Chinese says it in Chinese (Nested fields: clauses)."""
    out = Said(text(key, "en", **fields))
    out.message_key, out.message_fields = key, dict(fields)
    return out


def keyed_from(error: type[E], message: str) -> E:
    """An exception of `error` with `message`; keyed (localizable) when the message is a Said."""
    exc = error(message)
    key = getattr(message, "message_key", None)
    if key is not None:
        exc.message_key = key                                        # type: ignore[attr-defined]
        exc.message_fields = dict(getattr(message, "message_fields", {}))   # type: ignore[attr-defined]
    return exc


def said(prefix: str, exc: BaseException | str) -> str:
    """prefix + the error's text; a Said (localizable) when the error carries a message key."""
    whole = f"{prefix}{exc}"
    key = getattr(exc, "message_key", None)
    if key is None:
        return whole
    out = Said(whole)
    out.message_key, out.message_fields = key, dict(getattr(exc, "message_fields", {}))
    return out
