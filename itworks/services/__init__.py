"""Use cases. Each function takes a session and plain arguments and commits
explicitly; web views, the API and the CLI all call these."""
