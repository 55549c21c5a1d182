"""The works simtrial and its built-in scenario cite, by key.

The bibliographic entries live in ``simtrial/references.toml`` (shipped with the package). A
scenario's provenance or a method's docstring names a work by its key, ``"Surname YEAR"``
(``"Shi 2021a"``, ``"Hays 1993"``); :func:`reference` returns the full entry and
:meth:`Reference.citation` the citation to print. :func:`cited_keys` finds the keys a text
cites, so a report can list exactly the works it refers to.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from simtrial.errors import InputError

__all__ = ["KEY_PATTERN", "Reference", "cited_keys", "reference", "references"]

#: A citation key as written in text: a capitalised name, a space and a year (with an optional
#: letter), e.g. ``Shi 2021a``, ``ICH 1998``.
KEY_PATTERN = re.compile(r"(?<![\w-])([A-Z][A-Za-z'-]*[A-Za-z] (?:1[5-9]|20)\d\d[a-z]?)(?![\w-])")

_TYPES = ("article", "preprint", "book", "chapter", "guideline", "software")


@dataclass(frozen=True)
class Reference:
    """One cited work.

    Attributes
    ----------
    key : str
        ``"Surname YEAR"`` (with a letter after the year when needed to tell works apart).
    type : str
        ``article``, ``preprint``, ``book``, ``chapter``, ``guideline`` or ``software``.
    title : str
    year : int
    authors : tuple of str
        ``"Surname Initials"``; empty when the authors could not be checked.
    et_al : bool
        Whether `authors` lists only the first authors.
    journal, book, publisher, edition, place, version, volume, issue, pages, article : str
        Where the work appeared; ``""`` when not applicable or not checked. ``article`` is an
        article number, for journals without page ranges.
    editors : tuple of str
        Editors of the book a chapter appeared in.
    doi, pmid, url : str
        Identifiers; ``""`` when not known or not checked.
    note : str
        What the work is cited for, or what it reports.
    unverified : str
        Details recalled but not checked against the publication (they are not in the other
        fields); ``""`` when everything given was checked.
    untraced : tuple of str
        Figures used from the work that could not be traced to a table or to numbers in it.
    used_for : tuple of str
        Where simtrial uses it (scenario numbers, functions).
    """

    key: str
    type: str
    title: str
    year: int
    authors: tuple[str, ...] = ()
    et_al: bool = False
    journal: str = ""
    book: str = ""
    editors: tuple[str, ...] = ()
    publisher: str = ""
    edition: str = ""
    place: str = ""
    version: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    article: str = ""
    doi: str = ""
    pmid: str = ""
    url: str = ""
    note: str = ""
    unverified: str = ""
    untraced: tuple[str, ...] = ()
    used_for: tuple[str, ...] = ()

    def citation(self) -> str:
        """The full citation, in Vancouver style, ending with its DOI and PMID when known.

        Returns
        -------
        str
            One line. Details that could not be checked are said to be so at the end.

        Examples
        --------
        >>> print(reference("Hays 1993").citation())
        Hays RD, Sherbourne CD, Mazel RM. The RAND 36-Item Health Survey 1.0. Health Econ \
1993;2(3):217-27. doi:10.1002/hec.4730020305
        """
        names = ", ".join(self.authors) + (", et al" if self.et_al else "")
        parts = [f"{names}." if names else "", f"{self.title}."]
        if self.type == "chapter":
            eds = ", ".join(self.editors)
            role = "editor" if len(self.editors) == 1 else "editors"
            parts.append(f"In: {eds}, {role}. {self.book}" if eds else f"In: {self.book}")
            parts[-1] += f", version {self.version}." if self.version else "."
            parts.append(_publisher(self.place, self.publisher, self.year, self.pages))
        elif self.journal:
            parts.append(f"{self.journal} {self.year}{_locator(self)}.")
        else:
            edition = f"{self.edition} ed. " if self.edition else ""
            version = f"Version {self.version}. " if self.version else ""
            parts.append(f"{edition}{version}{_publisher(self.place, self.publisher, self.year)}")
        parts += [f"doi:{self.doi}" if self.doi else "", f"PMID: {self.pmid}." if self.pmid else "",
                  f"Available from {self.url}" if self.url and not self.doi else ""]
        text = " ".join(p for p in parts if p)
        if self.unverified:
            text += f" [Not verified: {self.unverified}.]"
        return text


def _locator(ref: Reference) -> str:
    """``;volume(issue):pages`` (or the article number), as far as known."""
    where = ref.pages or ref.article
    if not ref.volume:
        return f";{ref.article}" if ref.article else ""
    issue = f"({ref.issue})" if ref.issue else ""
    return f";{ref.volume}{issue}" + (f":{where}" if where else "")


def _publisher(place: str, publisher: str, year: int, pages: str = "") -> str:
    text = ": ".join(p for p in (place, publisher) if p)
    text = f"{text}; {year}" if text else str(year)
    return text + (f". p. {pages}." if pages else ".")


@cache
def _load() -> MappingProxyType:
    text = resources.files("simtrial").joinpath("references.toml").read_text(encoding="utf-8")
    known = {f.name: f for f in fields(Reference)}
    entries: dict[str, Reference] = {}
    for i, raw in enumerate(tomllib.loads(text)["reference"]):
        where = f"references.toml: reference[{i}] ({raw.get('key', 'no key')})"
        unknown = set(raw) - set(known)
        missing = {"key", "type", "title", "year"} - set(raw)
        if unknown or missing:
            raise InputError(f"{where}: unknown {sorted(unknown)}, missing {sorted(missing)}")
        if raw["type"] not in _TYPES or KEY_PATTERN.fullmatch(raw["key"]) is None:
            raise InputError(f"{where}: bad type or key (allowed types: {', '.join(_TYPES)})")
        if raw["key"] in entries:
            raise InputError(f"{where}: key {raw['key']!r} repeated")
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                  for k, v in raw.items()}  # raw TOML values
        entries[raw["key"]] = Reference(**values)
    return MappingProxyType(entries)


def references() -> MappingProxyType:
    """Every cited work, by key, in the order of the references file.

    Returns
    -------
    mappingproxy of str to Reference

    Examples
    --------
    >>> "Shi 2021a" in references() and "Hochberg 1988" in references()
    True
    """
    return _load()


def reference(key: str) -> Reference:
    """The work cited as `key`.

    Parameters
    ----------
    key : str
        ``"Surname YEAR"``, as in the references file.

    Returns
    -------
    Reference

    Raises
    ------
    KeyError
        If no work has this key; the message lists the keys there are.

    Examples
    --------
    >>> reference("Yuan 2025").pmid
    '40001244'
    """
    try:
        return _load()[key]
    except KeyError:
        raise KeyError(f"no reference {key!r}; known: {', '.join(_load())}") from None


def cited_keys(text: str) -> list[str]:
    """The citation keys a text names, in order of first mention.

    Every ``Surname YEAR`` in the text counts, whether or not it is in the references file, so
    a caller can check that each one resolves.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str

    Examples
    --------
    >>> cited_keys("Hochberg 1988, valid under positive dependence (Sarkar 1998); Holm 1979")
    ['Hochberg 1988', 'Sarkar 1998', 'Holm 1979']
    >>> cited_keys("month 24, 65 vs 35 patients, NCT04288102")
    []
    """
    return list(dict.fromkeys(KEY_PATTERN.findall(text)))
