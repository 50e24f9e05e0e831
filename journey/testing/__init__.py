"""Journey tests (`*.test.yaml`, spec section 7): load them, run them on a virtual clock."""

from journey.testing.cases import Case, Expectation, TestFile, load_test_file
from journey.testing.run import CaseResult, run_case

__all__ = ["Case", "CaseResult", "Expectation", "TestFile", "load_test_file", "run_case"]
