"""journey: customer-lifecycle journeys declared as YAML in git.

The pipeline, one package per stage: loader -> validator -> compiler ->
renderer -> engine -> channels; the CLI and the daemon wire the stages together.
"""

__version__ = "0.1.0"
