"""Benchmarks beside django-hordak: the dev settings with hordak and its apps installed.

Only for ``manage.py bench_ledger --hordak`` (docs/benchmarks.md, "Ledger postings");
hordak is the ``bench`` extra (``pip install -e '.[bench]'``), never needed by the
console or its tests. Use a scratch PostgreSQL database: ``migrate`` adds hordak's tables.
"""

from .dev import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "mptt", "djmoney", "hordak"]  # noqa: F405
