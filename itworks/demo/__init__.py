"""Demo data for a newcomer: Faker ja_JP people entered through the same services as real data."""
