"""benchmarks/device_check.py --quick: every plugin's networks train through the Trainer at
every precision the device offers, under gp and sn, in a few seconds."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

from wgan_core.precision import bf16_available

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "device_check.py"


def test_quick_device_check_covers_every_plugin_and_precision(capsys) -> None:
    spec = importlib.util.spec_from_file_location("device_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.main(["--quick", "--steps", "1"])
    precisions = ["32"] + (["bf16-mixed"] if bf16_available("cpu") else [])
    assert [(r["plugin"], r["precision"]) for r in rows] == [
        (p, q) for p in module.PLUGINS for q in precisions]
    for row in rows:
        assert row["samples_per_s"] > 0 and math.isfinite(row["samples_per_s"]), row
        assert row["gp_over_sn"] > 0 and math.isfinite(row["gp_over_sn"]), row
    table = capsys.readouterr().out
    assert "| plugin | precision | samples/s (gp) | peak MiB | GP step / SN step |" in table
    for row in rows:
        assert f"| {row['plugin']} | {row['precision']} |" in table
