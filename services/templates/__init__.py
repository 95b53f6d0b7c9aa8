"""The business's message templates as the network approved them: the cache in
collections ``templates`` and ``sync_markers`` (``store``), refreshed by the core.
"""
