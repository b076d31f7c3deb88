"""bench/bench_extraction.py loaded as a module, for the tests of the extraction corpora
(its loader and scoring rule are what those tests check the corpora with)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_bench():
    spec = importlib.util.spec_from_file_location(
        "bench_extraction", ROOT / "bench" / "bench_extraction.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_extraction", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module
