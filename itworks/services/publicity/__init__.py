"""Publicity campaigns and their UTM attribution."""
