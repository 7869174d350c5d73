"""Master keys: rotation, re-wrapping and retirement of the data keys."""
