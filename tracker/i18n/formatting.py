"""Dates, times and money written the way each language writes them.

French typography: "20 mars 2020", "23 h 59", "2 900 €" (with non-breaking spaces so that a
line never breaks inside an amount or a time).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.numbers import format_currency, format_decimal
from flask import Flask
from flask_babel import get_locale

NBSP = "\u00a0"


def _locale(locale: str | None = None) -> str:
    return locale or str(get_locale() or "fr")


def format_day(value: date | datetime | None, locale: str | None = None) -> str:
    """20 mars 2020 / March 20, 2020."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    loc = _locale(locale)
    text = babel_format_date(value, "long", locale=loc)
    if loc.startswith("fr") and value.day == 1:
        text = "1er" + text[1:]
    return text.replace(" ", NBSP, 1) if loc.startswith("fr") else text


def format_clock(value: datetime, locale: str | None = None) -> str:
    """23 h 59 / 11:59 PM."""
    loc = _locale(locale)
    if loc.startswith("fr"):
        return f"{value.hour}{NBSP}h{NBSP}{value.minute:02d}"
    return babel_format_time(value, "short", locale=loc).replace(" ", NBSP)


def local_time(value: datetime, timezone: str) -> datetime:
    return value.astimezone(ZoneInfo(timezone))


def format_money(amount: Decimal | float | None, locale: str | None = None,
                 currency: str = "EUR") -> str:
    """2 900 € / €2,900; cents only when there are some (12,50 €)."""
    if amount is None:
        return ""
    loc = _locale(locale)
    amount = Decimal(amount)
    pattern = Locale.parse(loc).currency_formats["standard"].pattern
    if amount == amount.to_integral_value():
        pattern = pattern.replace(".00", "")
    return format_currency(amount, currency, format=pattern, locale=loc, currency_digits=False)


def format_number(value: Decimal | float | None, locale: str | None = None) -> str:
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        value = value.to_integral_value()
    return format_decimal(value, locale=_locale(locale))


def register_filters(app: Flask) -> None:
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_number, "number")
