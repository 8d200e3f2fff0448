"""Cases as stored: a case has versions; a session keeps the version it started with."""

from __future__ import annotations

import hashlib
import json

from django.db import models

from . import languages
from .schema import Case as CaseData
from .schema import parse_case


def content_hash(data: dict) -> str:
    """A stable hash of a case's content: the same data always gives the same hash."""
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class Case(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def latest(self) -> CaseVersion | None:
        return self.versions.order_by("-number").first()


class CaseVersion(models.Model):
    """One immutable version of a case's data; editing or reloading makes a new one."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    data = models.JSONField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="unique_case_version"),
        ]

    def __str__(self) -> str:
        return f"{self.case.slug} v{self.number}"

    def parsed(self) -> CaseData:
        """The validated case, parsed once per process: a version's data never changes."""
        key = (self.pk, self.digest)
        if key not in _parsed:
            _parsed[key] = parse_case(languages.split(self.data)[0], source=str(self))
        return _parsed[key]

    def languages(self) -> list[str]:
        """The languages this version can be read in: its own first."""
        return [self.parsed().language, *sorted(languages.split(self.data)[1])]

    def texts(self, language: str) -> dict[str, str]:
        """Each text of the case mapped to its translation into ``language`` ({} for none)."""
        key = (self.pk, self.digest, language)
        if key not in _texts:
            base, translations = languages.split(self.data)
            other = translations.get(language)
            _texts[key] = languages.table(base, other) if other else {}
        return _texts[key]


_parsed: dict[tuple[int, str], CaseData] = {}
_texts: dict[tuple[int, str, str], dict[str, str]] = {}
