"""Application settings (``/v1/settings/application``): every setting declared
once in ``app_settings`` (collection ``settings``), its value kinds in ``setting_kinds``.
"""
