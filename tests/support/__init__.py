"""Real peers for tests (SMTP, HTTP, TLS certificates), shared by channel and daemon tests."""
