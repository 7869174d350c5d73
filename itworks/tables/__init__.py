"""Published tables: one function per table a user sees, labelled, suppressed for its audience."""
