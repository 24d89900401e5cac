"""Daily and weekly digests: facts, rendering, composing, delivery and /digest."""
