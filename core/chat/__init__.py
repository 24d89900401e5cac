"""Chat use cases: the one entry chat adapters call, and the flows behind it."""
