"""Benchmarks of the ledger, the usage import and the report pages (docs/benchmarks.md).

A separate app that only ``config.settings.dev`` and ``config.settings.test`` install, so
production code never ships the commands; ``python manage.py bench_*`` runs them.
"""
