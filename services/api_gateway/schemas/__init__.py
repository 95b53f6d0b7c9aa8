"""Request schemas: pure validators that raise ``ApiError`` with On-Prem wording."""
