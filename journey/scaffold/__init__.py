"""`journey init`: a new workspace that validates, tests and runs on its first commit."""

from journey.scaffold.create import NotEmpty, create_workspace, modeline_for

__all__ = ["NotEmpty", "create_workspace", "modeline_for"]
