"""Output with no Typer or rich: the fast entry (`fast`, `index_run`) prints through these,
and the Typer commands re-use them from `common`, so a JSON document looks the same either way.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(document: Any) -> None:
    """Exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
    sys.stdout.flush()
