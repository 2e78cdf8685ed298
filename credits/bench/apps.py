from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmark commands (``bench_ledger``, ``bench_usage``, ``bench_pages``): dev
    tooling, installed by the dev and test settings only, never in production."""

    name = "credits.bench"
    label = "credits_bench"
    verbose_name = "Benchmarks"
