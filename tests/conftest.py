import sys
from pathlib import Path

# Make `tests.helpers` importable as `helpers` without installing the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))
