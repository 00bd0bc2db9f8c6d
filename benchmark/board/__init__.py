"""The leaderboard wing: submissions, the one reader of this task's .eval logs, files, board pages."""
