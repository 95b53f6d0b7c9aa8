"""The sandbox WhatsApp network: registration, prekey directory, ciphertext relay
and virtual phones. Development and tests only (see docs/sandbox.md)."""
