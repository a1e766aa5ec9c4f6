"""Qt item models over the plain-Python state (they adapt, never own, the data)."""
