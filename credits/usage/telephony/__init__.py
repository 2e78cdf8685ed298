"""Telephony rules of the credits app: number classification, minute pools, rating, the
call-record format and the traffic simulator. Pure Python: nothing here reads or writes
the database (``credits.usage.services.imports`` and ``credits.usage.services.authorize`` do)."""
