"""Writes of the credits app. Money moves only in ``credits.services.ledger``."""
