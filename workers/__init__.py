"""RQ: queues, thin job functions, periodic ticks."""
