"""How many examples a property test that chooses its own number runs under the loaded
Hypothesis profile (registered in tests/conftest.py).

``examples(25)`` is 25 under the "ci" profile (CI=true) and proportionally fewer under
"dev" (the local default), so the profile governs every test, including those whose
written number differs from Hypothesis' default.
"""

from __future__ import annotations

from hypothesis import settings

FULL_EXAMPLES = 100  # the "ci" profile's max_examples: Hypothesis' default


def examples(full: int) -> int:
    """``full`` scaled by the loaded profile's share of the full number of examples."""
    return max(1, full * settings.default.max_examples // FULL_EXAMPLES)
