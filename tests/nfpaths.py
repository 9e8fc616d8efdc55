"""Paths to the bundled data, importable from any test module (``from nfpaths import ...``)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ECBPLUS = ROOT / "data" / "ecbplus" / "ecbplus-dev.jsonl"
TEST_DATA = Path(__file__).resolve().parent / "data"
TEST_OUTPUT = ROOT / "test-output"
