"""The business's profile (spec §9.1, §9.2): its about text, its photo and its business
profile, and whether the network has them yet.

Owns the ``profile`` collection (one document, ``_id: "business"``), the objects under
``profile/`` in the media object store (the photo's bytes) and ``profile_photo_links``
(the expiring tokens of ``GET /v1/settings/profile/photo?format=link``).
"""
