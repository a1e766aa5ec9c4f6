"""The waterfall bot's own state class (``waterfall_bot.py``; botbuilder venv).

Registered for our storages with ``register_state_class``, as the README tells
a bot to do; jsonpickle names it ``waterfall_models.UserProfile``, so this
module keeps its name.
"""

from explorer.storage.state_classes import register_state_class


@register_state_class
class UserProfile:
    def __init__(self):
        self.name = None
        self.age = None
        self.turns = 0
