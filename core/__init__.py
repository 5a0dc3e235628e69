"""The domain shared by every role: settings, database, models, services, providers."""
