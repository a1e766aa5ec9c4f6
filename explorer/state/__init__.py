"""State management: keys, buckets, accessors, dialog stacks, edit sessions, the tree."""
