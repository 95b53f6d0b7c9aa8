"""The business's contacts: whether a number is on WhatsApp (``checks``:
collections ``contact_checks``, the 7-day cache, and ``contact_check_requests``) and a
contact's identity as the API reports it (``identity``).
"""
