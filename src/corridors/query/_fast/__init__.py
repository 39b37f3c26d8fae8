"""Speed routes of :mod:`corridors.query`: answers settled from segments with numpy.

Private. Each route settles what it can surely settle and says what it leaves
unsettled; :mod:`corridors.query._dispatch` sends that to the reference route.
"""
