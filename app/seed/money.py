"""Ticket prices in the local currency, in minor units (cents, pence; yen and won have none)."""

from __future__ import annotations

import functools
from typing import NamedTuple

from app.seed.sampling import Uniform, lognormal_quantiles, pick

FALLBACK_CURRENCY = "USD"
FREE_SHARE = 0.35


class CurrencyScale(NamedTuple):
    """Roughly how many major units buy one US dollar, the ISO 4217 exponent, and a "round" price step."""

    per_usd: float
    exponent: int
    step: int


# A small, approximate table: enough for prices to look local. Currencies not listed fall back to USD.
CURRENCIES: dict[str, CurrencyScale] = {
    "USD": CurrencyScale(1.0, 2, 1),
    "EUR": CurrencyScale(0.92, 2, 1),
    "GBP": CurrencyScale(0.79, 2, 1),
    "CHF": CurrencyScale(0.9, 2, 1),
    "CAD": CurrencyScale(1.35, 2, 1),
    "AUD": CurrencyScale(1.5, 2, 1),
    "NZD": CurrencyScale(1.65, 2, 1),
    "JPY": CurrencyScale(150.0, 0, 500),
    "KRW": CurrencyScale(1350.0, 0, 1000),
    "CNY": CurrencyScale(7.2, 2, 10),
    "HKD": CurrencyScale(7.8, 2, 10),
    "TWD": CurrencyScale(32.0, 2, 50),
    "INR": CurrencyScale(83.0, 2, 50),
    "IDR": CurrencyScale(15700.0, 2, 5000),
    "PHP": CurrencyScale(56.0, 2, 50),
    "THB": CurrencyScale(35.0, 2, 50),
    "VND": CurrencyScale(24000.0, 0, 10000),
    "BRL": CurrencyScale(5.0, 2, 5),
    "MXN": CurrencyScale(17.0, 2, 50),
    "ARS": CurrencyScale(900.0, 2, 500),
    "CLP": CurrencyScale(930.0, 0, 1000),
    "COP": CurrencyScale(3900.0, 2, 5000),
    "RUB": CurrencyScale(90.0, 2, 100),
    "TRY": CurrencyScale(32.0, 2, 50),
    "PLN": CurrencyScale(4.0, 2, 5),
    "SEK": CurrencyScale(10.5, 2, 10),
    "NOK": CurrencyScale(10.5, 2, 10),
    "DKK": CurrencyScale(6.9, 2, 10),
    "ZAR": CurrencyScale(18.0, 2, 10),
    "NGN": CurrencyScale(1500.0, 2, 500),
    "EGP": CurrencyScale(48.0, 2, 50),
    "AED": CurrencyScale(3.67, 2, 5),
}


def currency_for_country(currency_code: str) -> str:
    """The country's own currency when we know its scale, otherwise US dollars."""
    return currency_code if currency_code in CURRENCIES else FALLBACK_CURRENCY


class Price(NamedTuple):
    """What a ticket costs; free events carry zero prices and no currency."""

    is_free: bool
    price_min: int | None
    price_max: int | None
    currency: str | None


FREE_ZEROS = Price(True, 0, 0, None)
FREE_UNPRICED = Price(True, 0, None, None)
MENU_SIZE = 1000
SINGLE_PRICE_SHARE = 0.4
GOLDEN = 0.6180339887498949


def draw_price(random: Uniform, currency: str) -> Price:
    """About a third of events are free; paid ones cost from a few to ~100 dollars' worth."""
    roll = random()
    if roll < FREE_SHARE:
        # Both spellings of "free" exist in real data: a zero price range, or a zero minimum only.
        return FREE_ZEROS if roll < FREE_SHARE / 2 else FREE_UNPRICED
    return pick(random, price_menu(currency))


@functools.cache
def price_menu(currency: str) -> tuple[Price, ...]:
    """A draw table of paid prices: log-normal lows (median ~10 USD), some ranges up to 3x the low."""
    scale = CURRENCIES[currency]
    menu = []
    for index, usd_low in enumerate(lognormal_quantiles(2.3, 0.7, MENU_SIZE)):
        # A golden-ratio sequence decorrelates the range from the low price, without a generator.
        spread = (index * GOLDEN) % 1.0
        usd_high = usd_low if spread < SINGLE_PRICE_SHARE else usd_low * (1.2 + 3.0 * (spread - SINGLE_PRICE_SHARE))
        low, high = _round_minor(usd_low, scale), _round_minor(usd_high, scale)
        menu.append(Price(False, low, max(low, high), currency))
    return tuple(menu)


def _round_minor(usd: float, scale: CurrencyScale) -> int:
    # A price in local major units rounded to a believable step, then in minor units, at least one step.
    steps = max(1, round(usd * scale.per_usd / scale.step))
    return steps * scale.step * int(10**scale.exponent)
