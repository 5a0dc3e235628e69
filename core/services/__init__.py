"""Business logic: each function takes a session and never commits."""
