"""The gateway's HTTPS certificate and the webhook CA (spec §10.2): the ``certificates`` collection."""
