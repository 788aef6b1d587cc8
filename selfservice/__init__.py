"""Self-service beyond answers: the emergency notice, citizens' subscriptions to topics, and announcements.

- `notices`: a notice with a start and an end in both languages; every channel asks `notices.active` at the
  start of a conversation (phone: spoken first; web chat: on top; messengers: in the welcome).
- `topics`: what citizens subscribe to on a push channel, and the subscriptions themselves.
- `commands`: what a citizen writes to subscribe or stop ("стоп" works at any time).
- `announcements` and `sending`: an admin's announcement, sent once to each subscriber under a lease,
  within the platform's rate, through a `push.PushSender` per channel.
"""
