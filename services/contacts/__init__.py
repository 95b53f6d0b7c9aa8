"""The business's contacts.

- ``directory``: collection ``contacts``: profile name, last inbound message, number
  changes, what a send needs to know of its recipient.
- ``identity``: a contact's identity key as ``/v1/contacts/{wa_id}/identity`` reports it
  and its acknowledgement.
- ``checks``: whether a number is on WhatsApp: collections ``contact_checks`` (the 7-day
  cache) and ``contact_check_requests`` (non-blocking checks still to answer).
"""
