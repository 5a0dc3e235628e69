"""Conversations: channel-neutral commands and their SMS and Discord front ends."""
