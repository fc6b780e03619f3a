"""Output storage: table schemas, the in-memory and SQLite backends, orient JSON rendering."""
