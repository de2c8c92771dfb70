"""Prices are stored in minor units; documents for others (schema.org offers) want major units."""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 currencies whose minor unit is not a hundredth (the rest have two decimals).
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


def major_units(amount: int, currency: str) -> str:
    """``1250, "EUR"`` → ``"12.50"``; ``1250, "JPY"`` → ``"1250"``."""
    exponent = _EXPONENTS.get(currency, 2)
    return str(Decimal(amount).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent)))
