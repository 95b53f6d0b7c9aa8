"""API users and their bearer tokens: collections ``users`` and ``tokens`` (``store``),
the password policy and hashing (``password_rules``, pure) and tokens (``token_rules``,
pure; only a token's sha256 is stored); bad-login throttling (``throttle_rules``, pure;
its counts in Redis: ``throttle_store``).
"""
