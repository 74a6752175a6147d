"""Dates feeds write that neither RFC 3339 nor RFC 822 in its usual spelling covers (pure).

* RFC 822 dates with a locale's day and month names, as WordPress writes them under a
  non-English locale (``Mi, 03 Dez 2025 18:30:00 +0100``, ``mar., 4 févr. 2025``,
  ``Ср, 03 дек 2025``): one table of day and month names, full and abbreviated, read in any
  case, with or without accents and trailing dots. English is in the table too, so a word
  means one month whatever language wrote it (a test holds the table to that).
* ``2020/1/10 14:33:00``: year/month/day with slashes, UTC when no zone is given.
* :func:`plausible`: whether a date some other parser produced was read from the text at all
  (its year and day, and for an all-numeric text its month, are numbers written there), so a
  fallback never invents a date it did not read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

__all__ = [
    "DAY_NAMES",
    "MONTH_NAMES",
    "fold",
    "month_number",
    "parse_localized",
    "parse_other_spellings",
    "parse_slashed",
    "plausible",
]

# Month names by language: each entry is twelve months, each a space-separated list of the
# forms written (nominative, genitive or partitive, and usual abbreviations).
MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("january jan", "february feb", "march mar", "april apr", "may", "june jun",
           "july jul", "august aug", "september sep sept", "october oct", "november nov",
           "december dec"),
    "de": ("januar jänner jan jän", "februar feber feb", "märz mär mrz", "april apr", "mai",
           "juni jun", "juli jul", "august aug", "september sep sept", "oktober okt",
           "november nov", "dezember dez"),
    "fr": ("janvier janv", "février févr fév", "mars", "avril avr", "mai", "juin",
           "juillet juil", "août aoû", "septembre sept", "octobre oct", "novembre nov",
           "décembre déc"),
    "es": ("enero ene", "febrero feb", "marzo mar", "abril abr", "mayo may", "junio jun",
           "julio jul", "agosto ago", "septiembre setiembre sep sept set", "octubre oct",
           "noviembre nov", "diciembre dic"),
    "it": ("gennaio gen", "febbraio feb", "marzo mar", "aprile apr", "maggio mag",
           "giugno giu", "luglio lug", "agosto ago", "settembre set", "ottobre ott",
           "novembre nov", "dicembre dic"),
    "pt": ("janeiro jan", "fevereiro fev", "março mar", "abril abr", "maio mai", "junho jun",
           "julho jul", "agosto ago", "setembro set", "outubro out", "novembro nov",
           "dezembro dez"),
    "nl": ("januari jan", "februari feb", "maart mrt mar", "april apr", "mei", "juni jun",
           "juli jul", "augustus aug", "september sep sept", "oktober okt", "november nov",
           "december dec"),
    "pl": ("styczeń stycznia sty", "luty lutego lut", "marzec marca mar",
           "kwiecień kwietnia kwi", "maj maja", "czerwiec czerwca cze", "lipiec lipca lip",
           "sierpień sierpnia sie", "wrzesień września wrz", "październik października paź",
           "listopad listopada lis", "grudzień grudnia gru"),
    "sv": ("januari jan", "februari feb", "mars mar", "april apr", "maj", "juni jun",
           "juli jul", "augusti aug", "september sep sept", "oktober okt", "november nov",
           "december dec"),
    "da": ("januar jan", "februar feb", "marts mar", "april apr", "maj", "juni jun",
           "juli jul", "august aug", "september sep sept", "oktober okt", "november nov",
           "december dec"),
    "no": ("januar jan", "februar feb", "mars mar", "april apr", "mai", "juni jun",
           "juli jul", "august aug", "september sep sept", "oktober okt", "november nov",
           "desember des"),
    "fi": ("tammikuu tammikuuta tammi", "helmikuu helmikuuta helmi",
           "maaliskuu maaliskuuta maalis", "huhtikuu huhtikuuta huhti",
           "toukokuu toukokuuta touko", "kesäkuu kesäkuuta kesä", "heinäkuu heinäkuuta heinä",
           "elokuu elokuuta elo", "syyskuu syyskuuta syys", "lokakuu lokakuuta loka",
           "marraskuu marraskuuta marras", "joulukuu joulukuuta joulu"),
    "cs": ("leden ledna led", "únor února úno", "březen března bře", "duben dubna dub",
           "květen května kvě", "červen června čvn", "červenec července čvc",
           "srpen srpna srp", "září zář", "říjen října říj", "listopad listopadu lis",
           "prosinec prosince pro"),
    "ru": ("январь января янв", "февраль февраля фев февр", "март марта мар",
           "апрель апреля апр", "май мая", "июнь июня июн", "июль июля июл",
           "август августа авг", "сентябрь сентября сен сент", "октябрь октября окт",
           "ноябрь ноября ноя нояб", "декабрь декабря дек"),
    "tr": ("ocak oca", "şubat şub", "mart mar", "nisan nis", "mayıs may", "haziran haz",
           "temmuz tem", "ağustos ağu", "eylül eyl", "ekim eki", "kasım kas", "aralık ara"),
}  # fmt: skip

# Day names by language, Monday first, full names and usual abbreviations: only checked to be
# a day name (feeds' weekdays are often wrong; the number and month say the date).
DAY_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("monday mon", "tuesday tue tues", "wednesday wed", "thursday thu thur thurs",
           "friday fri", "saturday sat", "sunday sun"),
    "de": ("montag mo mon", "dienstag di die", "mittwoch mi mit", "donnerstag do don",
           "freitag fr fre", "samstag sonnabend sa sam", "sonntag so son"),
    "fr": ("lundi lun", "mardi mar", "mercredi mer", "jeudi jeu", "vendredi ven",
           "samedi sam", "dimanche dim"),
    "es": ("lunes lun", "martes mar", "miércoles mié", "jueves jue", "viernes vie",
           "sábado sáb", "domingo dom"),
    "it": ("lunedì lun", "martedì mar", "mercoledì mer", "giovedì gio", "venerdì ven",
           "sabato sab", "domenica dom"),
    "pt": ("segunda segunda-feira seg", "terça terça-feira ter", "quarta quarta-feira qua",
           "quinta quinta-feira qui", "sexta sexta-feira sex", "sábado sáb", "domingo dom"),
    "nl": ("maandag ma", "dinsdag di", "woensdag wo", "donderdag do", "vrijdag vr",
           "zaterdag za", "zondag zo"),
    "pl": ("poniedziałek pon pn", "wtorek wt", "środa śr", "czwartek czw cz", "piątek pt pią",
           "sobota sob sb", "niedziela niedz nd"),
    "sv": ("måndag mån", "tisdag tis", "onsdag ons", "torsdag tor tors", "fredag fre",
           "lördag lör", "söndag sön"),
    "da": ("mandag man", "tirsdag tir", "onsdag ons", "torsdag tor", "fredag fre",
           "lørdag lør", "søndag søn"),
    "no": ("mandag man", "tirsdag tir", "onsdag ons", "torsdag tor", "fredag fre",
           "lørdag lør", "søndag søn"),
    "fi": ("maanantai ma", "tiistai ti", "keskiviikko ke", "torstai to", "perjantai pe",
           "lauantai la", "sunnuntai su"),
    "cs": ("pondělí po", "úterý út", "středa st", "čtvrtek čt", "pátek pá", "sobota so",
           "neděle ne"),
    "ru": ("понедельник пн", "вторник вт", "среда ср", "четверг чт", "пятница пт",
           "суббота сб", "воскресенье вс"),
    "tr": ("pazartesi pzt", "salı sal", "çarşamba çar", "perşembe per", "cuma cum",
           "cumartesi cmt", "pazar paz"),
}  # fmt: skip

# Letters NFKD does not take apart.
_FOLDED_LETTERS = str.maketrans({"ø": "o", "ł": "l", "æ": "ae", "ı": "i", "đ": "d"})
_MIN_PREFIX = 3  # "févr" is a prefix of "février"; two letters say too little of a month


def fold(word: str) -> str:
    """A name as the table is searched: lower case, no accents, no trailing dots."""
    word = word.casefold().rstrip(".").translate(_FOLDED_LETTERS)
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _month_forms() -> Iterator[tuple[str, int]]:
    for months in MONTH_NAMES.values():
        for number, forms in enumerate(months, 1):
            for form in forms.split():
                yield fold(form), number


def _month_table() -> dict[str, int]:
    """Every written form, then every unambiguous prefix of one (``sept``, ``juil``, ``févr``,
    ``dezemb``) that is not itself a written form of another month."""
    written = dict[str, int]()
    for form, number in _month_forms():
        written.setdefault(form, number)  # the collision test proves no form has two months
    prefixes = dict[str, set[int]]()
    for form, number in _month_forms():
        for end in range(_MIN_PREFIX, len(form)):
            prefixes.setdefault(form[:end], set()).add(number)
    unambiguous = {prefix: numbers.pop() for prefix, numbers in prefixes.items()
                   if len(numbers) == 1 and prefix not in written}  # fmt: skip
    return unambiguous | written


def _day_table() -> frozenset[str]:
    return frozenset(
        fold(form) for days in DAY_NAMES.values() for forms in days for form in forms.split()
    )


_MONTHS = _month_table()
_DAYS = _day_table()

_WORD = r"[^\W\d_][^\W\d_-]*(?:-[^\W\d_]+)?\.?"
# Anchored at the start: matched against a whole stripped value, never searched through one.
_LOCALIZED_RE = re.compile(
    rf"\A(?:({_WORD})\s*,?\s+)?(\d{{1,2}})\.?\s+({_WORD})\s*,?\s+(\d{{4}})"
    r"(?:,?\s+(\d{1,2})[:.](\d\d)(?:[:.](\d\d))?)?"
    r"(?:\s*(?:([A-Za-z]{1,5})|([+-])(\d\d):?(\d\d)))?\s*$"
)
_SLASHED_RE = re.compile(
    r"\A(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T]+(\d{1,2}):(\d\d)(?::(\d\d))?)?"
    r"(?:\s*(?:([A-Za-z]{1,5})|([+-])(\d\d):?(\d\d)))?$"
)
# Zone names WordPress and servers print; any other name leaves the date unread.
_ZONE_HOURS = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "wet": 0, "west": 1, "cet": 1, "cest": 2, "mez": 1,
    "mesz": 2, "eet": 2, "eest": 3, "msk": 3, "trt": 3, "est": -5, "edt": -4, "cst": -6,
    "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
}  # fmt: skip
_NUMBER_RE = re.compile(r"\d+")
_LETTER_RE = re.compile(r"[^\W\d_]")


def month_number(word: str) -> int | None:
    """The month a name (any language of the table, any case, accents or not) means."""
    return _MONTHS.get(fold(word))


def parse_other_spellings(value: str) -> datetime | None:
    """A localized RFC 822 date or a slashed one (see the module's docstring), or None: what
    every reader tries after RFC 3339 and RFC 822, before feedparser's date parser."""
    return parse_localized(value) or parse_slashed(value)


def parse_localized(value: str) -> datetime | None:
    """An RFC 822-shaped date with day and month names of the table, as aware UTC; None when
    it is not one (an unknown word, an unknown zone name, a day that does not exist)."""
    match = _LOCALIZED_RE.match(value.strip())
    if match is None:
        return None
    day_name, day, month_name, year, hour, minute, second, zone, sign, zone_h, zone_m = (
        match.groups()
    )
    month = month_number(month_name)
    if month is None or (day_name is not None and fold(day_name) not in _DAYS):
        return None
    return _moment((year, month, day, hour, minute, second), zone, sign, zone_h, zone_m)


def parse_slashed(value: str) -> datetime | None:
    """``2020/1/10 14:33:00`` (year/month/day, an optional time and zone) as aware UTC."""
    match = _SLASHED_RE.match(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, zone, sign, zone_h, zone_m = match.groups()
    return _moment((year, month, day, hour, minute, second), zone, sign, zone_h, zone_m)


def _moment(
    fields: tuple[str | int | None, ...],
    zone: str | None,
    sign: str | None,
    zone_h: str | None,
    zone_m: str | None,
) -> datetime | None:
    year, month, day, hour, minute, second = (int(field or 0) for field in fields)
    if zone is not None:
        hours = _ZONE_HOURS.get(zone.lower())
        if hours is None:
            return None
        offset = timedelta(hours=hours)
    elif sign is not None:
        offset = timedelta(hours=int(zone_h or 0), minutes=int(zone_m or 0))
        offset = offset if sign == "+" else -offset
    else:
        offset = timedelta(0)  # no zone: UTC
    try:
        moment = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=timezone.utc)
        return moment - offset
    except (ValueError, OverflowError):
        return None


def plausible(moment: datetime | None, value: str) -> datetime | None:
    """``moment`` when it was read from ``value``: its year (four digits or two) and its day
    of month, within a day for a zone's shift, are numbers written there, and so is its
    month when no word could have named it. Else None."""
    if moment is None:
        return None
    numbers = {int(number) for number in _NUMBER_RE.findall(value)}
    named_month = _LETTER_RE.search(value) is not None
    for shift in (-1, 0, 1):
        local = moment + timedelta(days=shift)
        if (
            (local.year in numbers or local.year % 100 in numbers)
            and local.day in numbers
            and (named_month or local.month in numbers)
        ):
            return moment
    return None
