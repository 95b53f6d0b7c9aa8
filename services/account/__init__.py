"""The business's own number: its registration state and its network credential
(sealed at rest). Collection ``account`` (one document). ``store`` is the interface.
"""
