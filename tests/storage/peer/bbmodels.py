"""State classes of the botbuilder-python bots in ``bbturns`` (run in the botbuilder venv).

jsonpickle tags their documents ``"py/object": "bbmodels.UserProfile"`` (the
module name is part of what the tests check), so this module keeps its name.
"""


class UserProfile:
    def __init__(self):
        self.name = None
        self.age = None
        self.turns = 0


class ConversationData:
    def __init__(self):
        self.messages = []
