"""Domain operations, one module per domain module; they never commit."""
