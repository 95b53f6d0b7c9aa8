"""Errors raised by the local-server launcher."""


class InfraError(RuntimeError):
    """Base class: anything that stops the local servers from being usable."""


class MissingDependencyError(InfraError):
    """A server binary is absent or cannot run on this machine."""


class PortBusyError(InfraError):
    """A port we need is taken by a process that is not ours."""


class ServerStartError(InfraError):
    """A server did not become ready in time (message carries its log tail)."""
