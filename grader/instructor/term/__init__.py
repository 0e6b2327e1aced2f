"""Running a term: deadlines and late work, written answers, overrides and exports."""
