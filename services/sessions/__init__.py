"""The end-to-end protocol's state on our side, behind the protocol's store interfaces
(services/protocol/stores.py): ``key_store`` (collection ``keys``: our identity key and
prekeys, private parts sealed at rest) and ``session_store`` (collection ``sessions``:
one Double Ratchet session per contact, sealed at rest, with the identity it began with).
"""
