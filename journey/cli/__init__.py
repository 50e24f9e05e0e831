"""Thin click commands: parse arguments, call one stage function, report, exit."""
