"""How many contacts the business knows, for ``/v1/stats/db`` (``db_contacts``).

A WhatsApp user is a number that wrote or was written to (``contacts``) or that a
contacts check found on WhatsApp (``contact_checks`` with a wa_id), counted once
whichever of the two knows it; a non-WhatsApp user is a cached check that found none.
"""

from __future__ import annotations

from pymongo.database import Database


def whatsapp_users(db: Database) -> int:
    users = list(db.contacts.aggregate([
        {"$project": {"_id": 1}},
        {"$unionWith": {"coll": "contact_checks",
                        "pipeline": [{"$match": {"wa_id": {"$ne": None}}}, {"$project": {"_id": "$wa_id"}}]}},
        {"$group": {"_id": "$_id"}},
        {"$count": "n"},
    ], allowDiskUse=True))
    return users[0]["n"] if users else 0


def non_whatsapp_users(db: Database) -> int:
    return db.contact_checks.count_documents({"wa_id": None})
