"""The JSON Schema of the hello plugin's metrics.json (``Plugin.metrics_schema``)."""

from __future__ import annotations

from typing import Any

#: Every run writes the exact W1 between 1000 real and 1000 generated points (a distance,
#: so >= 0), the generator steps trained, the share of generated points within 2 of each
#: mean and how many of the two modes hold at least half their share.
METRICS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "hello metrics.json",
    "type": "object",
    "required": ["w1_exact", "steps", "share_near_left", "share_near_right", "modes_found"],
    "properties": {
        "w1_exact": {"type": "number", "minimum": 0},
        "steps": {"type": "integer", "minimum": 0},
        "share_near_left": {"type": "number", "minimum": 0, "maximum": 1},
        "share_near_right": {"type": "number", "minimum": 0, "maximum": 1},
        "modes_found": {"type": "integer", "minimum": 0, "maximum": 2},
    },
}
