"""Backup and restore (spec §10.1): the password-encrypted blob (``blob_rules``, pure)
and what goes into it (``sections``: each domain's part, read and written through that
domain's own interface). Owns no collection."""
