"""Meetings, reminders, action items and minutes: the model (and when each is due), the
running minutes, and the service that writes them and tells the planner."""
