"""Planning posts ahead: templates with placeholders, weekly posting slots and the queue."""
