"""Phone numbers as businesses write them, reduced to the digits of a wa_id. Pure.

On-Prem accepts a contact "in any standard telephone number format" (spec §7.1) and,
since v2.39.1, sends to phone numbers directly. The forms and what they mean
(docs/compatibility.md, "Phone numbers"):

- ``+1 631 555 1001``, ``+1.631.555.1005``, ``+1 (631) 555-1005``: a leading ``+``
  (or the international prefix ``00``) means the digits are the whole international
  number.
- ``16315551000``: bare digits are a wa_id as On-Prem itself writes them (webhooks,
  contacts results): taken as they are, whatever the business's country.
- ``1-631-555-1005``, ``(631) 555-1005``: a number written with separators but no
  ``+`` is a number as people write it. When its digits already start with the
  business's country calling code they are taken as they are; otherwise it is a
  national number and the business's country code is put in front (a leading trunk
  ``0`` is dropped first), which is what the Cloud API documents for numbers sent
  without a ``+``.

Separators are spaces, ``-``, ``.`` and parentheses; anything else (letters, a second
``+``, ``*``, extensions) is not a phone number.
"""

from __future__ import annotations

import re

# E.164 numbers have at most 15 digits; the network's wa_ids may have up to 20, and a
# number too short to be anyone's is left for the network to call invalid.
MIN_DIGITS = 1
MAX_DIGITS = 20
MAX_INPUT_LENGTH = 64

_FORM = re.compile(r"^\+?[0-9\s().\-]+$")
_SEPARATORS = re.compile(r"[\s().\-]")
INTERNATIONAL_PREFIX = "00"
TRUNK_PREFIX = "0"


def normalize(value: str, country_code: str | None = None) -> str | None:
    """The digits of the wa_id ``value`` stands for, or None when it is not a phone
    number. ``country_code`` is the business's (``"1"``); without it, national numbers
    are taken as written."""
    if not isinstance(value, str) or len(value) > MAX_INPUT_LENGTH:
        return None
    text = value.strip()
    if not text or not _FORM.match(text) or text.count("(") != text.count(")"):
        return None
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith(INTERNATIONAL_PREFIX):
        digits = digits[len(INTERNATIONAL_PREFIX):]
    elif digits != text and country_code and not digits.startswith(country_code):
        digits = country_code + digits.removeprefix(TRUNK_PREFIX)
    # ASCII digits only (_FORM says [0-9]): str.isdigit() alone would take "５" or "٥".
    if not (digits.isascii() and digits.isdigit()) or not MIN_DIGITS <= len(digits) <= MAX_DIGITS \
            or digits.startswith("0"):
        return None
    return digits
