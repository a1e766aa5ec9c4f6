"""Qt user interface: widgets, item models, dialogs. The only layer that imports Qt."""
