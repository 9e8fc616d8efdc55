"""Paths to the bundled data, importable from any test module (``from nfpaths import ...``)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ECBPLUS = ROOT / "data" / "ecbplus" / "ecbplus-dev.jsonl"
TEST_DATA = Path(__file__).resolve().parent / "data"
TEST_OUTPUT = ROOT / "test-output"
# development data shared beside the repository, never copied into it (tests that read it skip when it is absent)
GVA_DEV = ROOT.parent / "shared" / "data" / "gva" / "gva-dev.jsonl"
