"""The queue names and timeouts live in `core.queues` (the web app queues jobs too)."""

from core.queues import ALL, DEFAULT, MESSAGES, PERIODIC, SAVES, TIMEOUTS, queue

__all__ = ["ALL", "DEFAULT", "MESSAGES", "PERIODIC", "SAVES", "TIMEOUTS", "queue"]
