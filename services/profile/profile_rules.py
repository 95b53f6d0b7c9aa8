"""What the about text and the business profile may hold (spec §9.1, §9.2): the limits
the gateway's bodies declare (services/api_gateway/schemas/profile.py) and a restore
checks a backup's profile against (services/profile/store.py ``parse_export``). Pure."""

from __future__ import annotations

import re
from typing import Any, Literal, get_args

ABOUT_MAX = 139  # characters (code points), as the original counts them, not bytes
TEXT_MAX = 256  # address, description
EMAIL_MAX = 128
WEBSITES_MAX = 2
WEBSITE_MAX = 256  # including the scheme

Vertical = Literal[
    "Automotive", "Beauty, Spa, and Salon", "Clothing and Apparel", "Education", "Entertainment",
    "Event Planning and Service", "Finance and Banking", "Food and Grocery", "Public Service",
    "Hotel and Lodging", "Medical and Health", "Non-profit", "Professional Services", "Shopping and Retail",
    "Travel and Transportation", "Restaurant", "Other",
]
"""§9.2's list; not ``""``: a vertical once set cannot be reset to empty."""
VERTICALS: tuple[str, ...] = get_args(Vertical)

# One @, no spaces, a dot in the domain: what a mail client accepts, without resolving it.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_WEBSITE = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)


def is_email(email: str) -> bool:
    return _EMAIL.fullmatch(email) is not None


def is_website(website: str) -> bool:
    return len(website) <= WEBSITE_MAX and _WEBSITE.fullmatch(website) is not None


def _text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and len(value) <= limit


def check_about(value: Any) -> str:
    """A stored about text as ``PATCH /v1/settings/profile/about`` accepts it; ValueError otherwise."""
    if not _text(value, ABOUT_MAX):
        raise ValueError(f"the about text is not a text of at most {ABOUT_MAX} characters")
    return str(value)


def check_business(value: Any) -> dict[str, Any]:
    """A stored business profile (every field) as ``POST /v1/settings/business/profile``
    accepts each field, the never-set vertical ``""`` besides; ValueError otherwise."""
    if not isinstance(value, dict):
        raise ValueError("the business profile is unreadable")
    address, description, email = value.get("address"), value.get("description"), value.get("email")
    vertical, websites = value.get("vertical"), value.get("websites")
    if not (_text(address, TEXT_MAX) and _text(description, TEXT_MAX)):
        raise ValueError(f"the address or the description is not a text of at most {TEXT_MAX} characters")
    if not _text(email, EMAIL_MAX) or (email and not is_email(email)):
        raise ValueError("the email is not an email address")
    if vertical != "" and vertical not in VERTICALS:
        raise ValueError("the vertical is not one of §9.2's")
    if not (isinstance(websites, list) and len(websites) <= WEBSITES_MAX
            and all(isinstance(site, str) and is_website(site) for site in websites)):
        raise ValueError(f"the websites are not at most {WEBSITES_MAX} http(s) URLs")
    return {"address": address, "description": description, "email": email, "vertical": vertical,
            "websites": list(websites)}
