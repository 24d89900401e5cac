"""Adapters: the I/O edges of postroom (chat front ends, storage, publishing back ends)."""
