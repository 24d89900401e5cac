"""In-memory storage, for tests and the sandbox."""
