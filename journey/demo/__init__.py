"""`journey run --demo`: the bundled sample population and the fast-clock daemon run."""
