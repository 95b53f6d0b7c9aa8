"""One module per message type, each with a module-level ``TYPES`` tuple of
:class:`~services.message_types.base.MessageType`; the registry finds them all."""
