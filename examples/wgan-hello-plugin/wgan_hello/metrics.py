"""The JSON Schema of the hello plugin's metrics.json (``Plugin.metrics_schema``)."""

from __future__ import annotations

from typing import Any

#: Every run writes the exact W1 between 1000 real and 1000 generated points (a distance,
#: so >= 0) and the generator steps trained.
METRICS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "hello metrics.json",
    "type": "object",
    "required": ["w1_exact", "steps"],
    "properties": {
        "w1_exact": {"type": "number", "minimum": 0},
        "steps": {"type": "integer", "minimum": 0},
    },
}
