"""Survey links, invitation rounds and answers."""
