"""Staff accounts, login sessions and API tokens."""
