"""The browser chat channel: phone login by one-time code, the web inbox and mailbox.

``otp`` logs people in; ``channel`` stores what a page sends in the inbox before handing it to
the conversation service (one person's events in order) and moves the outbox rows of channel
``web`` into each person's mailbox with an increasing sequence that the websocket pushes.
"""
